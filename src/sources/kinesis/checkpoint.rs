//! Where a Kinesis consumer stores its position in each shard: behind the
//! [`ShardCheckpoints`] trait (pluggable), with a local file
//! ([`ShardCheckpointFile`], atomic write + rename) as the built-in store.
//!
//! A shard's position is the sequence number through which every record
//! finished (reading resumes `AFTER_SEQUENCE_NUMBER` it) and the sequence
//! numbers beyond it that finished too (records finish out of order): a
//! restart skips those instead of running them again.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::sources::checkpoint::replace_file;

/// One shard's position.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShardPosition {
    /// Every record up to this sequence number finished (`None`: none yet).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence_number: Option<String>,
    /// Sequence numbers past `sequence_number` that finished too.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub finished: Vec<String>,
}

/// Every shard's position, by shard id.
pub type Positions = BTreeMap<String, ShardPosition>;

/// A store of shard positions.
pub trait ShardCheckpoints: Send {
    /// The stored positions (empty when nothing was stored).
    ///
    /// # Errors
    /// The store cannot be read or holds something else.
    fn load(&self) -> io::Result<Positions>;

    /// Replaces the stored positions with `positions`, durably.
    ///
    /// # Errors
    /// They cannot be stored.
    fn store(&mut self, positions: &Positions) -> io::Result<()>;
}

/// Keeps positions in memory only (no `--checkpoint`): a restart starts
/// from the starting position again.
#[derive(Debug, Default)]
pub struct InMemory(Positions);

impl ShardCheckpoints for InMemory {
    fn load(&self) -> io::Result<Positions> {
        Ok(self.0.clone())
    }

    fn store(&mut self, positions: &Positions) -> io::Result<()> {
        self.0.clone_from(positions);
        Ok(())
    }
}

/// The file form: `{"shards": {"shardId-000000000000": {"sequenceNumber":
/// "…", "finished": ["…"]}}}`, replaced atomically (written to `FILE.tmp`,
/// synced, renamed over `FILE`).
#[derive(Debug, Clone)]
pub struct ShardCheckpointFile {
    path: PathBuf,
    temp: PathBuf,
}

#[derive(Serialize, Deserialize)]
struct FileForm {
    shards: Positions,
}

impl ShardCheckpointFile {
    /// The positions stored at `path` (created on the first store).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let mut temp = path.clone().into_os_string();
        temp.push(".tmp");
        ShardCheckpointFile {
            path,
            temp: PathBuf::from(temp),
        }
    }

    /// Where the positions live.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl ShardCheckpoints for ShardCheckpointFile {
    fn load(&self) -> io::Result<Positions> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Positions::new()),
            Err(e) => return Err(e),
        };
        serde_json::from_str::<FileForm>(&text)
            .map(|f| f.shards)
            .map_err(|e| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: not a Kinesis checkpoint ({{\"shards\": {{\"<shard id>\": \
                         {{\"sequenceNumber\": \"…\"}}}}}}): {e}",
                        self.path.display()
                    ),
                )
            })
    }

    fn store(&mut self, positions: &Positions) -> io::Result<()> {
        let form = FileForm {
            shards: positions.clone(),
        };
        let mut text = serde_json::to_vec(&form).map_err(io::Error::other)?;
        text.push(b'\n');
        replace_file(&self.path, &self.temp, &text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_round_trips_atomically() {
        let dir = std::env::temp_dir().join(format!("expressway-kck-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let mut file = ShardCheckpointFile::new(dir.join("k.json"));
        assert!(file.load().expect("missing is empty").is_empty());
        let mut positions = Positions::new();
        positions.insert(
            "shardId-000000000000".into(),
            ShardPosition {
                sequence_number: Some(
                    "49590338271490256608559692538361571095921575989136588898".into(),
                ),
                finished: vec!["49590338271490256608559692538361571095921575989136588900".into()],
            },
        );
        positions.insert("shardId-000000000001".into(), ShardPosition::default());
        file.store(&positions).expect("store");
        assert_eq!(file.load().expect("load"), positions);
        let text = std::fs::read_to_string(file.path()).expect("text");
        assert!(
            text.starts_with("{\"shards\":{\"shardId-000000000000\":{\"sequenceNumber\":\"4959")
        );
        assert!(text.contains("\"shardId-000000000001\":{}"), "{text}");
        assert!(!dir.join("k.json.tmp").exists());
        std::fs::write(file.path(), "{\"through\":3}").expect("write");
        assert!(file.load().is_err());
        let mut memory = InMemory::default();
        memory.store(&positions).expect("store");
        assert_eq!(memory.load().expect("load"), positions);
        let _ = std::fs::remove_dir_all(dir);
    }
}
