//! Where the workspace's binaries are: in the profile directory of the running executable.

use std::path::PathBuf;

/// The path of a workspace binary, e.g. `binary("corral-coordinator")`.
///
/// Tests run from `target/<profile>/deps/` and benchmark binaries from `target/<profile>/`;
/// binaries are built into `target/<profile>/`. Panics with the command to run if the binary has
/// not been built.
pub fn binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable has a path");
    let dir = exe.parent().expect("the executable is in a directory");
    let profile_dir = if dir.ends_with("deps") { dir.parent().expect("deps has a parent") } else { dir };
    let path = profile_dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the binaries first with `cargo build --workspace --bins`",
        path.display()
    );
    path
}
