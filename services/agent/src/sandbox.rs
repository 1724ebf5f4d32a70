//! Sandboxes: one directory per task run, `<work-dir>/sandboxes/<framework id>/<task id>/<run id>/`,
//! and the rule that the files API serves nothing outside the sandboxes directory.
//!
//! Ids come from frameworks and may be anything; each becomes one file name that any id can be
//! given ([`path_component`]). A run's directory is checkpointed with its task, so recovery never
//! derives it from the ids again.

use std::io;
use std::path::{Component, Path, PathBuf};

use corral_wire::mesos::{FrameworkId, TaskId};
use rand::Rng;

/// A path asked for through the files API that is not a sandbox path.
#[derive(Debug, thiserror::Error)]
pub enum SandboxPathError {
    #[error("{0} is outside the agent's sandboxes")]
    Outside(String),
    #[error("{0} does not exist")]
    Missing(String),
}

/// `<work-dir>/sandboxes`.
#[derive(Debug, Clone)]
pub struct SandboxRoot {
    root: PathBuf,
}

impl SandboxRoot {
    pub fn new(work_dir: &Path) -> Self {
        SandboxRoot { root: work_dir.join("sandboxes") }
    }

    pub fn path(&self) -> &Path {
        &self.root
    }

    /// The directory of one run of a task (not created).
    pub fn run_dir(&self, framework_id: &FrameworkId, task_id: &TaskId, run_id: &str) -> PathBuf {
        self.root.join(path_component(&framework_id.value)).join(path_component(&task_id.value)).join(run_id)
    }

    /// Creates the directory of a new run and returns it.
    pub async fn create_run_dir(&self, framework_id: &FrameworkId, task_id: &TaskId) -> io::Result<PathBuf> {
        let dir = self.new_run_dir(framework_id, task_id);
        tokio::fs::create_dir_all(&dir).await?;
        Ok(dir)
    }

    /// The directory a new run would have, not created (for simulated tasks, which write nothing).
    pub fn new_run_dir(&self, framework_id: &FrameworkId, task_id: &TaskId) -> PathBuf {
        self.run_dir(framework_id, task_id, &new_run_id())
    }

    /// The real path of `requested` (absolute, or relative to the sandboxes directory), with
    /// symbolic links and `..` resolved, provided it lies inside the sandboxes directory.
    pub fn resolve(&self, requested: &str) -> Result<PathBuf, SandboxPathError> {
        let joined = self.root.join(requested);
        // Refuse what escapes on paper first, so a missing path outside is not reported as missing.
        if !lexically_inside(&self.root, &joined) {
            return Err(SandboxPathError::Outside(requested.to_string()));
        }
        let real = joined.canonicalize().map_err(|_| SandboxPathError::Missing(requested.to_string()))?;
        let root = self.root.canonicalize().map_err(|_| SandboxPathError::Missing(requested.to_string()))?;
        if !real.starts_with(&root) {
            return Err(SandboxPathError::Outside(requested.to_string()));
        }
        Ok(real)
    }
}

/// Whether `path`, with `.` and `..` applied as text, stays under `root`.
fn lexically_inside(root: &Path, path: &Path) -> bool {
    let mut normal = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                if !normal.pop() {
                    return false;
                }
            }
            Component::CurDir => {}
            other => normal.push(other),
        }
    }
    normal.starts_with(root)
}

/// The longest file name Linux file systems accept (`NAME_MAX`), in bytes.
const LONGEST_COMPONENT: usize = 255;
/// The length of the hash that ends a shortened component: `-` and 16 hex digits.
const HASH_SUFFIX: usize = 17;

/// An id as a single safe path component: anything but letters, digits, `.`, `_` and `-`
/// becomes `_`, and `.`/`..` cannot result. A component that would be longer than a file name
/// can be keeps a readable prefix and ends with a hash of the whole id, so that it fits and two
/// long ids that share the prefix stay apart. (Shorter ids map as they always did.)
pub fn path_component(id: &str) -> String {
    let clean: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    let clean = match clean.as_str() {
        "" | "." | ".." => clean.replace('.', "_") + "_",
        _ => clean,
    };
    if clean.len() <= LONGEST_COMPONENT {
        return clean;
    }
    // `clean` is ASCII, so any byte offset is a character boundary.
    let prefix = &clean[..LONGEST_COMPONENT - HASH_SUFFIX];
    format!("{prefix}-{:016x}", fnv1a(id.as_bytes()))
}

/// The 64-bit FNV-1a hash: stable across Rust releases and platforms, unlike `std`'s hasher.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

fn new_run_id() -> String {
    let bytes: [u8; 8] = rand::thread_rng().gen();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_safe_components() {
        assert_eq!(path_component("web.1-abc"), "web.1-abc");
        assert_eq!(path_component("group/app.1"), "group_app.1");
        assert_eq!(path_component(".."), "___");
        assert_eq!(path_component(""), "_");
    }

    #[test]
    fn ids_too_long_for_a_file_name_keep_a_prefix_and_gain_a_hash() {
        let fits = "a".repeat(LONGEST_COMPONENT);
        assert_eq!(path_component(&fits), fits, "the longest id that fits maps as before");
        let long = format!("{}x", "a".repeat(300));
        let component = path_component(&long);
        assert_eq!(component.len(), LONGEST_COMPONENT);
        assert!(component.starts_with(&"a".repeat(200)), "{component}");
        assert_eq!(component, path_component(&long), "the same id, the same directory");
        let other = format!("{}y", "a".repeat(300));
        assert_ne!(path_component(&other), component, "ids sharing the prefix stay apart");
        let wide = "é".repeat(200);
        assert_eq!(path_component(&wide), "_".repeat(200), "characters are counted once each when cleaned");
        assert_eq!(path_component(&"/".repeat(400)).len(), LONGEST_COMPONENT);
    }

    #[test]
    fn the_hash_is_fnv1a() {
        assert_eq!(fnv1a(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }

    #[tokio::test]
    async fn a_run_dir_can_be_made_for_an_id_of_any_length() {
        let dir = tempfile::tempdir().unwrap();
        let sandboxes = SandboxRoot::new(dir.path());
        let framework = FrameworkId::new("f".repeat(1000));
        let task = TaskId::new(format!("{}/../{}", "t".repeat(500), "\u{0}".repeat(10)));
        let run = sandboxes.create_run_dir(&framework, &task).await.expect("the directory is made");
        assert!(run.starts_with(sandboxes.path()));
        assert!(run.is_dir());
    }

    #[test]
    fn escapes_are_refused_even_when_missing() {
        let dir = tempfile::tempdir().unwrap();
        let sandboxes = SandboxRoot::new(dir.path());
        std::fs::create_dir_all(sandboxes.path().join("fw/task/run")).unwrap();
        std::fs::write(sandboxes.path().join("fw/task/run/stdout"), "hi").unwrap();
        std::fs::write(dir.path().join("agent.db"), "secret").unwrap();
        let inside = sandboxes.path().join("fw/task/run/stdout");
        assert!(sandboxes.resolve(inside.to_str().unwrap()).is_ok());
        assert!(sandboxes.resolve("fw/task/run/stdout").is_ok());
        assert!(matches!(sandboxes.resolve("fw/../../agent.db"), Err(SandboxPathError::Outside(_))));
        assert!(matches!(sandboxes.resolve("/etc/passwd"), Err(SandboxPathError::Outside(_))));
        assert!(matches!(sandboxes.resolve("../nothing-here"), Err(SandboxPathError::Outside(_))));
        assert!(matches!(sandboxes.resolve("fw/missing"), Err(SandboxPathError::Missing(_))));
        std::os::unix::fs::symlink("/etc", sandboxes.path().join("fw/task/run/link")).unwrap();
        assert!(matches!(sandboxes.resolve("fw/task/run/link/passwd"), Err(SandboxPathError::Outside(_))));
    }
}
