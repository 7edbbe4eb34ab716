//! The `cluster` section of the `--config` file (TOML when the file ends in
//! `.toml`, JSON otherwise), read when no `--cluster` flag (or
//! `EXPRESSWAY_CLUSTER_URL`) is given:
//!
//! ```toml
//! [cluster]
//! url = "redis://127.0.0.1:6379/0"
//! node_id = "a"            # optional; default host name and port
//! reclaim_margin_ms = 5000 # optional
//! ```

use std::path::Path;

use serde::Deserialize;

use super::error::ClusterError;

/// The `cluster` section; every key optional.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSettings {
    /// `redis://HOST:PORT[/DB]`.
    pub url: Option<String>,
    /// This node's id.
    pub node_id: Option<String>,
    /// The reclaim margin, ms.
    pub reclaim_margin_ms: Option<u64>,
}

#[derive(Deserialize)]
struct File {
    #[serde(default)]
    cluster: FileSettings,
}

impl FileSettings {
    /// The `cluster` section of the file at `path` (empty when the file has
    /// none).
    ///
    /// # Errors
    /// [`ClusterError::Url`] naming the file when it cannot be read or the
    /// section is not of that shape.
    pub fn load(path: &Path) -> Result<Self, ClusterError> {
        let err = |why: String| ClusterError::Url(format!("{}: {why}", path.display()));
        let text = std::fs::read_to_string(path).map_err(|e| err(e.to_string()))?;
        let toml = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("toml"));
        let file: File = if toml {
            toml::from_str(&text).map_err(|e| err(e.to_string()))?
        } else {
            serde_json::from_str(&text).map_err(|e| err(e.to_string()))?
        };
        Ok(file.cluster)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_cluster_section() {
        let dir =
            std::env::temp_dir().join(format!("expressway-cluster-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let toml = dir.join("c.toml");
        std::fs::write(
            &toml,
            "[admission]\n[cluster]\nurl = \"redis://127.0.0.1:6379/2\"\nnode_id = \"a\"\n",
        )
        .expect("write");
        let s = FileSettings::load(&toml).expect("loads");
        assert_eq!(s.url.as_deref(), Some("redis://127.0.0.1:6379/2"));
        assert_eq!(s.node_id.as_deref(), Some("a"));
        let json = dir.join("c.json");
        std::fs::write(&json, r#"{"sigv4": {}}"#).expect("write");
        assert_eq!(
            FileSettings::load(&json).expect("loads"),
            FileSettings::default()
        );
        std::fs::write(&json, r#"{"cluster": {"uri": "x"}}"#).expect("write");
        assert!(FileSettings::load(&json).is_err());
        std::fs::remove_dir_all(&dir).ok();
    }
}
