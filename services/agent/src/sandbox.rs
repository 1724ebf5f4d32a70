//! Sandboxes: one directory per task run, `<work-dir>/sandboxes/<framework id>/<task id>/<run id>/`,
//! and the rule that the files API serves nothing outside the sandboxes directory.

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

/// An id as a single safe path component: anything but letters, digits, `.`, `_` and `-`
/// becomes `_`, and `.`/`..` cannot result.
pub fn path_component(id: &str) -> String {
    let clean: String =
        id.chars().map(|c| if c.is_ascii_alphanumeric() || "._-".contains(c) { c } else { '_' }).collect();
    match clean.as_str() {
        "" | "." | ".." => clean.replace('.', "_") + "_",
        _ => clean,
    }
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
