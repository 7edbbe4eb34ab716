//! [`CliError`]: why a command could not start or stopped serving. Every
//! command turns it into `expressway: <message>` on standard error and an
//! exit status in one place ([`super::fail`]); the messages are the ones
//! users have always seen.

use std::io;
use std::path::PathBuf;

use crate::admission::ConfigError;
use crate::api::auth::AuthConfigError;
use crate::api::LimitsError;
use crate::cluster::ClusterError;
use crate::sources::SourceError;
use crate::start::{PreloadError, StartError};
use crate::tasks::MockError;

/// Why a command could not start (exit status 2) or serving failed (1).
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// `--aws-models DIR` is not a directory.
    #[error("--aws-models {}: not a directory", .0.display())]
    ModelsDir(PathBuf),
    /// The tokio runtime could not be built.
    #[error("cannot start the runtime: {0}")]
    Runtime(io::Error),
    /// A file (definition, input) cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// Standard input cannot be read.
    #[error("cannot read standard input: {0}")]
    Stdin(io::Error),
    /// The `--config` file's `admission` section, or the admission flags.
    #[error(transparent)]
    Admission(#[from] ConfigError),
    /// The `--config` file's `http` section, or the `--http-*` flags.
    #[error(transparent)]
    HttpLimits(#[from] LimitsError),
    /// The file-descriptor limit cannot be read or raised.
    #[error("cannot read the file-descriptor limit: {0}")]
    FdLimit(io::Error),
    /// The SigV4 credentials (flag, environment or `--config`) are invalid.
    #[error(transparent)]
    Sigv4(#[from] AuthConfigError),
    /// `--verify-sigv4` without any credential.
    #[error(
        "--verify-sigv4 needs credentials: --sigv4-credentials AKID:SECRET, \
         EXPRESSWAY_SIGV4_CREDENTIALS, or sigv4.credentials in --config"
    )]
    NoSigv4Credentials,
    /// The mock file cannot be read or is invalid.
    #[error("mock file {}: {source}", path.display())]
    MockFile {
        /// The file.
        path: PathBuf,
        /// Why.
        source: MockError,
    },
    /// The execution log cannot be opened.
    #[error("cannot open execution log {target}: {source}")]
    ExecutionLog {
        /// The file, or `-`.
        target: String,
        /// The I/O error.
        source: io::Error,
    },
    /// The shard threads cannot start.
    #[error("cannot start the shard threads: {0}")]
    Shards(io::Error),
    /// A definition (folder, file) cannot be read or is refused.
    #[error(transparent)]
    Preload(#[from] PreloadError),
    /// The start path refused a machine or an execution.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The cluster (`--cluster`, the `--config` file's `cluster` section).
    #[error(transparent)]
    Cluster(#[from] ClusterError),
    /// A consumer could not start.
    #[error(transparent)]
    Source(#[from] SourceError),
    /// `consume kinesis --checkpoint` with a cluster.
    #[error("--checkpoint is a local file; with a cluster the checkpoint is kept in Redis")]
    CheckpointWithCluster,
    /// The listening socket cannot be bound.
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        /// `host:port`.
        addr: String,
        /// The I/O error.
        source: io::Error,
    },
    /// Serving connections failed.
    #[error("{0}")]
    Serve(io::Error),
    /// A shard serving connections ended without answering.
    #[error("a shard stopped")]
    ShardStopped,
}

/// An `--execution-log-sample` that is not a number from 0 to 1 (clap
/// prints it under the flag's name).
#[derive(Debug, thiserror::Error)]
#[error("'{0}' is not a number from 0 to 1")]
pub struct SampleRateError(pub String);

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::cli::setup::Setup;

    /// The typed errors print the messages the commands always printed.
    #[test]
    fn messages_users_see_are_unchanged() {
        let missing = Path::new("/nonexistent/def.asl.json");
        let read = CliError::Read {
            path: missing.to_owned(),
            source: io::Error::from(io::ErrorKind::NotFound),
        };
        assert!(
            read.to_string()
                .starts_with("cannot read /nonexistent/def.asl.json: "),
            "{read}"
        );
        assert_eq!(
            CliError::ModelsDir(PathBuf::from("/x")).to_string(),
            "--aws-models /x: not a directory"
        );
        assert_eq!(
            SampleRateError("2".into()).to_string(),
            "'2' is not a number from 0 to 1"
        );
        assert!(CliError::NoSigv4Credentials
            .to_string()
            .starts_with("--verify-sigv4 needs credentials: --sigv4-credentials AKID:SECRET"));
    }

    /// A mock file that does not exist is a [`CliError::MockFile`] naming it.
    #[test]
    fn a_missing_mock_file_names_the_file() {
        let setup = Setup {
            shards: Some(0),
            mock_file: Some(PathBuf::from("/nonexistent/MockConfigFile.json")),
            ..Setup::default()
        };
        let err = setup.tasks().err().expect("refused");
        assert!(matches!(err, CliError::MockFile { .. }), "{err:?}");
        assert!(
            err.to_string()
                .starts_with("mock file /nonexistent/MockConfigFile.json: "),
            "{err}"
        );
    }

    /// A definition refused at preload keeps the start layer's message.
    #[test]
    fn a_refused_definition_is_the_preload_error() {
        let starter = Setup {
            shards: Some(0),
            ..Setup::default()
        }
        .starter()
        .expect("set-up");
        let err =
            crate::cli::setup::load_consumed(&starter, Path::new("/nonexistent/m.asl.json"), None)
                .expect_err("refused");
        assert!(matches!(err, CliError::Preload(_)), "{err:?}");
        assert!(err
            .to_string()
            .starts_with("cannot read /nonexistent/m.asl.json: "));
    }
}
