//! Where the workspace's binaries are: next to the test executable's `deps` directory.

use std::path::PathBuf;

/// The path of a workspace binary, e.g. `binary("corral-coordinator")`.
///
/// Tests run from `target/<profile>/deps/`; binaries are built into `target/<profile>/`.
/// Panics with the command to run if the binary has not been built.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable has a path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("the test executable lives in target/<profile>/deps");
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first with `cargo build --workspace --bins`",
        path.display()
    );
    path
}
