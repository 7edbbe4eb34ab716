//! The contiguous checkpoint: the highest record id `L` such that every
//! record with an id ≤ `L` has finished ([`Contiguous`]), and its file form,
//! written atomically ([`CheckpointFile`]).
//!
//! Records finish out of order (executions run concurrently), so a record
//! that finishes early cannot move the checkpoint past an earlier record
//! still in flight. [`Contiguous`] keeps the finished ranges beyond the
//! checkpoint (at most one per execution in flight) and advances the
//! checkpoint only over an unbroken run of finished ids. Restarting from the
//! checkpoint re-runs only records after it: at-least-once delivery, with
//! duplicates limited to what was in flight or finished after the last write.

use std::collections::BTreeMap;
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

/// The highest id `L` such that every id ≤ `L` finished, fed with finished
/// id ranges in any order. Ids start at 1; a checkpoint of 0 means none.
///
/// Memory is one map entry per finished range not yet reachable from the
/// checkpoint, so at most the number of executions in flight.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Contiguous {
    through: u64,
    /// Finished ranges past `through + 1`: first id → last id.
    pending: BTreeMap<u64, u64>,
}

impl Contiguous {
    /// A checkpoint where every id ≤ `through` already finished (0: none).
    pub fn new(through: u64) -> Self {
        Contiguous {
            through,
            pending: BTreeMap::new(),
        }
    }

    /// The checkpoint: every id ≤ it finished.
    pub fn through(&self) -> u64 {
        self.through
    }

    /// Finished ranges waiting for an earlier id to finish.
    pub fn pending(&self) -> usize {
        self.pending.len()
    }

    /// Records that every id in `first..=last` finished; returns whether the
    /// checkpoint advanced. A range already behind the checkpoint (a
    /// duplicate) changes nothing; `last < first` is read as `first..=first`.
    pub fn complete(&mut self, first: u64, last: u64) -> bool {
        let last = last.max(first);
        if last <= self.through {
            return false;
        }
        if first > self.through.saturating_add(1) {
            let end = self.pending.entry(first).or_insert(last);
            *end = (*end).max(last);
            return false;
        }
        self.through = last;
        while let Some((&start, &end)) = self.pending.first_key_value() {
            if start > self.through.saturating_add(1) {
                break;
            }
            self.pending.pop_first();
            self.through = self.through.max(end);
        }
        true
    }
}

/// A checkpoint file: one JSON object `{"through": L}` (then a newline),
/// replaced atomically: the new content is written to `FILE.tmp`, synced,
/// then renamed over `FILE`, so a crash leaves the old or the new
/// checkpoint, never a torn one.
#[derive(Debug, Clone)]
pub struct CheckpointFile {
    path: PathBuf,
    temp: PathBuf,
}

impl CheckpointFile {
    /// The checkpoint stored at `path` (created on the first [`store`](Self::store)).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut temp = path.clone().into_os_string();
        temp.push(".tmp");
        CheckpointFile {
            path,
            temp: PathBuf::from(temp),
        }
    }

    /// Where the checkpoint lives.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored checkpoint; 0 when the file does not exist.
    ///
    /// # Errors
    /// The file cannot be read, or is not `{"through": <unsigned integer>}`.
    pub fn load(&self) -> io::Result<u64> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
            Err(e) => return Err(e),
        };
        let value: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{}: not a checkpoint: {e}", self.path.display()),
            )
        })?;
        value
            .get("through")
            .and_then(serde_json::Value::as_u64)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: a checkpoint is {{\"through\": <line number>}}",
                        self.path.display()
                    ),
                )
            })
    }

    /// Replaces the stored checkpoint with `through` (write temp, sync, rename).
    ///
    /// # Errors
    /// The temporary file cannot be written or renamed.
    pub fn store(&self, through: u64) -> io::Result<()> {
        replace_file(
            &self.path,
            &self.temp,
            format!("{{\"through\":{through}}}\n").as_bytes(),
        )
    }
}

/// Replaces `path` with `contents` atomically: writes `temp`, syncs it,
/// renames it over `path`, so a crash leaves the old or the new content.
///
/// # Errors
/// `temp` cannot be written or renamed.
pub fn replace_file(path: &Path, temp: &Path, contents: &[u8]) -> io::Result<()> {
    let mut file = std::fs::File::create(temp)?;
    file.write_all(contents)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(temp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn in_order_completions_advance_one_by_one() {
        let mut c = Contiguous::new(0);
        for id in 1..=5 {
            assert!(c.complete(id, id));
            assert_eq!(c.through(), id);
        }
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn a_gap_holds_the_checkpoint_until_it_closes() {
        let mut c = Contiguous::new(0);
        assert!(!c.complete(3, 3));
        assert!(!c.complete(2, 2));
        assert_eq!(c.through(), 0);
        assert_eq!(c.pending(), 2);
        assert!(c.complete(1, 1));
        assert_eq!(c.through(), 3);
        assert_eq!(c.pending(), 0);
    }

    #[test]
    fn ranges_from_batches_merge() {
        let mut c = Contiguous::new(10);
        assert!(!c.complete(21, 30));
        assert!(!c.complete(41, 50));
        assert!(c.complete(11, 20));
        assert_eq!(c.through(), 30);
        assert!(c.complete(31, 40));
        assert_eq!(c.through(), 50);
    }

    #[test]
    fn duplicates_and_overlaps_are_harmless() {
        let mut c = Contiguous::new(5);
        assert!(!c.complete(3, 4));
        assert!(!c.complete(5, 5));
        assert_eq!(c.through(), 5);
        assert!(c.complete(4, 8));
        assert_eq!(c.through(), 8);
        assert!(!c.complete(10, 12));
        assert!(!c.complete(10, 11));
        assert!(c.complete(9, 9));
        assert_eq!(c.through(), 12);
        assert!(!c.complete(7, 3));
    }

    #[test]
    fn shuffled_completions_end_at_the_last_id() {
        let mut c = Contiguous::new(0);
        let mut ids: Vec<u64> = (1..=1000).collect();
        // A fixed permutation: stride 7 modulo 1000 visits every id once.
        ids.sort_by_key(|id| (id * 7) % 1000);
        let mut max_pending = 0;
        for id in ids {
            c.complete(id, id);
            max_pending = max_pending.max(c.pending());
        }
        assert_eq!(c.through(), 1000);
        assert_eq!(c.pending(), 0);
        assert!(max_pending > 0);
    }

    #[test]
    fn the_file_round_trips_and_defaults_to_zero() {
        let dir = std::env::temp_dir().join(format!("expressway-ckpt-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let file = CheckpointFile::new(dir.join("c.json"));
        assert_eq!(file.load().expect("missing is 0"), 0);
        file.store(42).expect("store");
        assert_eq!(file.load().expect("load"), 42);
        file.store(43).expect("store again");
        assert_eq!(file.load().expect("load"), 43);
        assert!(!dir.join("c.json.tmp").exists());
        std::fs::write(file.path(), "nonsense").expect("write");
        assert!(file.load().is_err());
        let _ = std::fs::remove_dir_all(dir);
    }
}
