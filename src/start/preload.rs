//! Creating the state machines of a folder at start-up (`serve
//! --definitions DIR`, the bundled example).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::error::StartError;
use super::registry::StateMachine;
use super::starter::{MachineSpec, Starter};

/// Suffix of the definition files [`preload`] creates.
pub const DEFINITION_SUFFIX: &str = ".asl.json";

/// Why [`preload`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum PreloadError {
    /// The folder or a file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A definition was refused (`InvalidDefinition`, `InvalidName`, …).
    #[error("{}: {}: {source}", path.display(), source.code())]
    Create {
        /// The definition file.
        path: PathBuf,
        /// Why it was refused.
        source: StartError,
    },
}

/// The state machine name of a definition file: its file name without
/// `.asl.json` (or `.json`); `machine` when it has none.
pub fn machine_name(definition: &Path) -> String {
    definition
        .file_name()
        .and_then(|n| n.to_str())
        .map(|n| n.strip_suffix(DEFINITION_SUFFIX).unwrap_or(n))
        .map(|n| n.strip_suffix(".json").unwrap_or(n))
        .unwrap_or("machine")
        .to_owned()
}

/// Creates one definition file as an EXPRESS state machine named after the
/// file ([`machine_name`], or `name`), as CreateStateMachine would (an
/// identical machine already there is kept), even while a cluster's Redis
/// is unreachable ([`Starter::create_machine_at_startup`]).
///
/// # Errors
/// [`PreloadError`]: the file cannot be read, or the machine is refused.
pub fn create_from_file(
    starter: &Starter,
    file: &Path,
    name: Option<&str>,
) -> Result<Arc<StateMachine>, PreloadError> {
    let text = std::fs::read_to_string(file).map_err(|source| PreloadError::Read {
        path: file.to_owned(),
        source,
    })?;
    let name = name.map_or_else(|| machine_name(file), str::to_owned);
    starter
        .create_machine_at_startup(MachineSpec::express(&name, &text))
        .map(|c| c.machine)
        .map_err(|source| PreloadError::Create {
            path: file.to_owned(),
            source,
        })
}

/// Creates every `*.asl.json` file of `dir` (in name order) as an EXPRESS
/// state machine named after the file; answers them in that order.
///
/// # Errors
/// [`PreloadError`] for the first file that cannot be read or is refused;
/// the machines created before it stay.
pub fn preload(starter: &Starter, dir: &Path) -> Result<Vec<Arc<StateMachine>>, PreloadError> {
    let entries = std::fs::read_dir(dir).map_err(|source| PreloadError::Read {
        path: dir.to_owned(),
        source,
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with(DEFINITION_SUFFIX))
        })
        .collect();
    files.sort();
    files
        .iter()
        .map(|file| create_from_file(starter, file, None))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::Engine;
    use crate::start::StartConfig;

    #[test]
    fn names_and_folders() {
        assert_eq!(machine_name(Path::new("a/pay.asl.json")), "pay");
        assert_eq!(machine_name(Path::new("pay.json")), "pay");
        let dir = std::env::temp_dir().join(format!("expressway-preload-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let pass = r#"{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}"#;
        std::fs::write(dir.join("b.asl.json"), pass).unwrap();
        std::fs::write(dir.join("a.asl.json"), pass).unwrap();
        std::fs::write(dir.join("notes.txt"), "x").unwrap();
        let starter = Starter::new(Engine::new(Default::default()), StartConfig::default());
        let loaded = preload(&starter, &dir).unwrap();
        let names: Vec<&str> = loaded.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(names, ["a", "b"]);
        // Loading again keeps them; a broken file names itself.
        assert_eq!(preload(&starter, &dir).unwrap().len(), 2);
        std::fs::write(dir.join("c.asl.json"), "{").unwrap();
        let err = preload(&starter, &dir).unwrap_err().to_string();
        assert!(err.contains("c.asl.json"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
