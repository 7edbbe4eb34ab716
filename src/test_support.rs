//! Helpers for the unit tests that read the shared material.

use std::path::PathBuf;

/// The shared material (`shared/`): `$SHARED_DIR`, else beside the checkout,
/// where the project always lives (and where `scripts/test.sh` looks).
///
/// Panics when it is missing: a test that reads the AWS-recorded cases must
/// not pass by reading nothing.
pub(crate) fn shared_dir() -> PathBuf {
    let dir = std::env::var_os("SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../shared")));
    assert!(
        dir.join("conformance/cases").is_dir(),
        "the shared material is not at {} (set SHARED_DIR)",
        dir.display()
    );
    dir
}
