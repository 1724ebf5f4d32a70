//! Cgroups for process tasks: where this agent's own cgroup is, whether it can make groups
//! under it, and one group per task run holding the task to its memory limit and CPU quota.
//!
//! [`detect`] reads `/proc/self/cgroup` and `/proc/self/mountinfo` ([`locate`], pure) and picks:
//! - cgroup v2 when the agent's group in the unified hierarchy offers the `memory` controller.
//!   v2 hands controllers to child groups only from a group without processes of its own, so
//!   when enabling them fails because the agent itself is there, the agent moves into a leaf
//!   group `corral-agent` beside its tasks' groups (as a systemd unit with `Delegate=yes`
//!   expects). If other processes share its group, the agent moves back and does without.
//! - cgroup v1 (and hybrid hosts, where v2 is mounted without the memory controller) when the
//!   agent can make a group in its own `memory` group; CPU too if it can in its `cpu` group.
//!
//! A task run's groups are `corral-task-<run id>` in each parent. The task's launcher joins them
//! before it execs the command, so every process of the task is in them from the start; the
//! kernel's OOM killer ends the task when it goes over its memory, and the group's `oom_kill`
//! counter tells the agent so. Once the task has ended its groups are emptied and removed. Groups
//! left empty by tasks that ended while no agent watched them are removed when an agent starts.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use nix::sys::signal::{kill, Signal};
use nix::unistd::Pid;

use super::limits::{TaskLimits, CPU_PERIOD_US};

/// The group the agent moves itself into under cgroup v2.
const AGENT_GROUP: &str = "corral-agent";
/// The start of every task group's name.
const TASK_GROUP_PREFIX: &str = "corral-task-";
/// A task group is empty only from its creation until its launcher joins it, a matter of
/// milliseconds; one empty for longer is a leftover.
const STALE_AFTER: Duration = Duration::from_secs(60);
/// A group is removable only once its last process is gone, which takes a moment after SIGKILL.
const REMOVE_ATTEMPTS: u32 = 40;
const REMOVE_RETRY: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CgroupVersion {
    V1,
    V2,
}

/// Where the agent makes its tasks' groups.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CgroupParents {
    pub version: CgroupVersion,
    /// The parent for memory (and, in v2, for everything).
    pub memory: PathBuf,
    /// The parent for CPU: the memory one in v2, the `cpu` hierarchy's in v1; `None` when CPU
    /// cannot be limited here.
    pub cpu: Option<PathBuf>,
}

impl CgroupParents {
    /// The groups of one task run (not created); `run` is a safe path component.
    pub fn task_group(&self, run: &str) -> TaskCgroup {
        let name = format!("{TASK_GROUP_PREFIX}{run}");
        TaskCgroup {
            version: self.version,
            memory: self.memory.join(&name),
            cpu: self.cpu.as_ref().map(|d| d.join(&name)),
        }
    }

    /// The parent directories, each once.
    fn dirs(&self) -> Vec<&Path> {
        let mut dirs = vec![self.memory.as_path()];
        dirs.extend(self.cpu.as_deref().filter(|cpu| *cpu != self.memory));
        dirs
    }

    /// Removes the task groups that have been empty for a while: left by tasks that ended while
    /// no agent watched them. (The kernel refuses to remove a group that has processes.)
    pub fn remove_leftovers(&self) {
        let now = std::time::SystemTime::now();
        for parent in self.dirs() {
            let Ok(entries) = std::fs::read_dir(parent) else { continue };
            for entry in entries.flatten() {
                let created = entry.metadata().and_then(|meta| meta.modified()).ok();
                let age = created.and_then(|created| now.duration_since(created).ok()).unwrap_or_default();
                if is_leftover(&entry.file_name().to_string_lossy(), age) && std::fs::remove_dir(entry.path()).is_ok() {
                    tracing::debug!(message = "Removed a task's leftover cgroup.", cgroup = %entry.path().display());
                }
            }
        }
    }
}

/// Whether a group with this name and age may be a leftover task group.
fn is_leftover(name: &str, age: Duration) -> bool {
    name.starts_with(TASK_GROUP_PREFIX) && age >= STALE_AFTER
}

/// Why process tasks get no cgroups on this host.
#[derive(Debug, thiserror::Error)]
pub enum NoCgroups {
    #[error("cannot read {path}: {source}")]
    Unreadable { path: &'static str, source: io::Error },
    #[error("no memory controller is available in this agent's cgroup")]
    NoMemoryController,
    #[error("cannot make groups under {}: {source}", path.display())]
    NotWritable { path: PathBuf, source: io::Error },
    #[error("cannot hand the memory controller to the child groups of {} (cgroup v2 allows that only in a group without processes, and other processes share the agent's group): {source}", path.display())]
    NotDelegated { path: PathBuf, source: io::Error },
}

/// A task's groups could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum CgroupError {
    #[error("cannot create cgroup {}: {source}", path.display())]
    Create { path: PathBuf, source: io::Error },
    #[error("cannot write `{value}` to {}: {source}", path.display())]
    Write { path: PathBuf, value: String, source: io::Error },
}

/// The agent's own groups, as `/proc/self/cgroup` names them and `/proc/self/mountinfo` places
/// them in the file system.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OwnCgroups {
    pub unified: Option<PathBuf>,
    pub memory: Option<PathBuf>,
    pub cpu: Option<PathBuf>,
}

/// Finds the agent's groups from the text of `/proc/self/cgroup` and `/proc/self/mountinfo`.
pub fn locate(proc_cgroup: &str, mountinfo: &str) -> OwnCgroups {
    let mounts: Vec<CgroupMount> = mountinfo.lines().filter_map(parse_mount).collect();
    let mut own = OwnCgroups::default();
    for line in proc_cgroup.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else { continue };
        if controllers.is_empty() {
            own.unified = mounts.iter().filter(|m| m.version == CgroupVersion::V2).find_map(|m| m.dir_of(path));
            continue;
        }
        for controller in controllers.split(',') {
            let dir = || {
                mounts
                    .iter()
                    .filter(|m| m.version == CgroupVersion::V1 && m.controllers.iter().any(|c| c == controller))
                    .find_map(|m| m.dir_of(path))
            };
            match controller {
                "memory" => own.memory = dir(),
                "cpu" => own.cpu = dir(),
                _ => {}
            }
        }
    }
    own
}

/// A mounted cgroup hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CgroupMount {
    version: CgroupVersion,
    /// The group of the hierarchy that is mounted (`/` unless a sub-tree is).
    root: String,
    mount_point: PathBuf,
    /// v1: the controllers of the hierarchy, from the super options.
    controllers: Vec<String>,
}

impl CgroupMount {
    /// Where group `path` of this hierarchy is, if this mount shows it.
    fn dir_of(&self, path: &str) -> Option<PathBuf> {
        let root = self.root.trim_end_matches('/');
        let relative = path.strip_prefix(root)?;
        if !(relative.is_empty() || relative.starts_with('/')) || relative.split('/').any(|part| part == "..") {
            return None;
        }
        Some(self.mount_point.join(relative.trim_start_matches('/')))
    }
}

/// `36 35 0:30 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory`: root is field 4,
/// the mount point field 5; after the `-` come the type, the source and the super options.
fn parse_mount(line: &str) -> Option<CgroupMount> {
    let (before, after) = line.split_once(" - ")?;
    let fields: Vec<&str> = before.split(' ').collect();
    let (root, mount_point) = (fields.get(3)?, fields.get(4)?);
    let mut after = after.split(' ');
    let version = match after.next()? {
        "cgroup2" => CgroupVersion::V2,
        "cgroup" => CgroupVersion::V1,
        _ => return None,
    };
    let super_options = after.nth(1).unwrap_or_default();
    Some(CgroupMount {
        version,
        root: unescape(root),
        mount_point: PathBuf::from(unescape(mount_point)),
        controllers: super_options.split(',').map(String::from).collect(),
    })
}

/// mountinfo writes space, tab, newline and backslash as `\040`, `\011`, `\012`, `\134`.
fn unescape(text: &str) -> String {
    text.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")
}

/// The groups of one task run: one in v2; in v1 one in the memory hierarchy and one in the cpu
/// hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskCgroup {
    version: CgroupVersion,
    memory: PathBuf,
    cpu: Option<PathBuf>,
}

/// A value for a control file of a group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControlWrite {
    pub file: PathBuf,
    pub value: String,
    /// Files that exist only on some kernels (swap accounting) are skipped when missing.
    pub optional: bool,
}

impl TaskCgroup {
    /// The group directories, each once.
    fn dirs(&self) -> Vec<&Path> {
        let mut dirs = vec![self.memory.as_path()];
        dirs.extend(self.cpu.as_deref().filter(|cpu| *cpu != self.memory));
        dirs
    }

    /// The files a process writes its pid into to join the groups.
    pub fn procs_files(&self) -> Vec<PathBuf> {
        self.dirs().into_iter().map(|dir| dir.join("cgroup.procs")).collect()
    }

    /// What to write, in this order, to hold the groups to `limits`. Swap counts as memory.
    pub fn control_writes(&self, limits: &TaskLimits) -> Vec<ControlWrite> {
        let write = |dir: &Path, file: &str, value: String, optional: bool| ControlWrite {
            file: dir.join(file),
            value,
            optional,
        };
        let mut writes = Vec::new();
        if let Some(bytes) = limits.memory {
            let (limit, swap, swap_value) = match self.version {
                CgroupVersion::V2 => ("memory.max", "memory.swap.max", "0".to_string()),
                CgroupVersion::V1 => ("memory.limit_in_bytes", "memory.memsw.limit_in_bytes", bytes.to_string()),
            };
            writes.push(write(&self.memory, limit, bytes.to_string(), false));
            writes.push(write(&self.memory, swap, swap_value, true));
        }
        if let (Some(quota), Some(cpu)) = (limits.cpu_quota_us, self.cpu.as_deref()) {
            match self.version {
                CgroupVersion::V2 => writes.push(write(cpu, "cpu.max", format!("{quota} {CPU_PERIOD_US}"), false)),
                CgroupVersion::V1 => {
                    writes.push(write(cpu, "cpu.cfs_period_us", CPU_PERIOD_US.to_string(), false));
                    writes.push(write(cpu, "cpu.cfs_quota_us", quota.to_string(), false));
                }
            }
        }
        writes
    }

    /// The file whose `oom_kill` line counts the processes the OOM killer ended in the group.
    fn oom_file(&self) -> PathBuf {
        match self.version {
            CgroupVersion::V2 => self.memory.join("memory.events"),
            CgroupVersion::V1 => self.memory.join("memory.oom_control"),
        }
    }

    /// Creates the groups and sets their limits; on failure removes what it made.
    pub fn create(&self, limits: &TaskLimits) -> Result<(), CgroupError> {
        for dir in self.dirs() {
            match std::fs::create_dir(dir) {
                Ok(()) => {}
                Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {}
                Err(source) => {
                    self.remove_empty();
                    return Err(CgroupError::Create { path: dir.to_path_buf(), source });
                }
            }
        }
        for write in self.control_writes(limits) {
            match std::fs::write(&write.file, &write.value) {
                Ok(()) => {}
                Err(error) if write.optional && error.kind() == io::ErrorKind::NotFound => {}
                Err(source) => {
                    self.remove_empty();
                    return Err(CgroupError::Write { path: write.file, value: write.value, source });
                }
            }
        }
        Ok(())
    }

    /// How many processes of the group the kernel's OOM killer ended (0 if unknown).
    pub fn oom_kills(&self) -> u64 {
        std::fs::read_to_string(self.oom_file()).ok().and_then(|text| counter(&text, "oom_kill")).unwrap_or(0)
    }

    /// Kills whatever is left in the groups (processes that left the task's process group
    /// too) and removes them.
    pub async fn remove(&self) {
        for _ in 0..REMOVE_ATTEMPTS {
            for pid in self.procs_files().iter().filter_map(|file| std::fs::read_to_string(file).ok()) {
                for pid in pids(&pid) {
                    let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
                }
            }
            if self.remove_empty() {
                return;
            }
            tokio::time::sleep(REMOVE_RETRY).await;
        }
        tracing::warn!(message = "Cannot remove a task's cgroup.", cgroup = %self.memory.display());
    }

    /// Removes the groups that are empty; whether none is left.
    fn remove_empty(&self) -> bool {
        self.dirs().into_iter().all(|dir| match std::fs::remove_dir(dir) {
            Ok(()) => true,
            Err(error) => error.kind() == io::ErrorKind::NotFound,
        })
    }
}

/// `name <count>` from a flat keyed file such as `memory.events`.
fn counter(text: &str, name: &str) -> Option<u64> {
    text.lines().find_map(|line| line.strip_prefix(name)?.strip_prefix(' ')?.trim().parse().ok())
}

fn pids(text: &str) -> impl Iterator<Item = i32> + '_ {
    text.split_whitespace().filter_map(|pid| pid.parse().ok()).filter(|&pid| pid > 0)
}

/// Where this agent can make its tasks' groups, or why it cannot.
pub fn detect() -> Result<CgroupParents, NoCgroups> {
    let read =
        |path: &'static str| std::fs::read_to_string(path).map_err(|source| NoCgroups::Unreadable { path, source });
    let own = locate(&read("/proc/self/cgroup")?, &read("/proc/self/mountinfo")?);
    if let Some(unified) = &own.unified {
        match prepare_v2(unified) {
            Err(NoCgroups::NoMemoryController) => {}
            decided => return decided,
        }
    }
    let memory = own.memory.ok_or(NoCgroups::NoMemoryController)?;
    probe(&memory)?;
    let cpu = own.cpu.filter(|cpu| match probe(cpu) {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(message = "Process tasks get no CPU limit.", %error);
            false
        }
    });
    Ok(CgroupParents { version: CgroupVersion::V1, memory, cpu })
}

/// Makes and removes a group under `dir`.
fn probe(dir: &Path) -> Result<(), NoCgroups> {
    let probe = dir.join(format!("corral-probe-{}", std::process::id()));
    let not_writable = |source| NoCgroups::NotWritable { path: dir.to_path_buf(), source };
    std::fs::create_dir(&probe).map_err(not_writable)?;
    std::fs::remove_dir(&probe).map_err(not_writable)
}

/// Enables `memory` (and `cpu` when offered) for the child groups of the agent's v2 group.
fn prepare_v2(own: &Path) -> Result<CgroupParents, NoCgroups> {
    let offered = std::fs::read_to_string(own.join("cgroup.controllers")).unwrap_or_default();
    let offered: Vec<&str> = offered.split_whitespace().collect();
    if !offered.contains(&"memory") {
        return Err(NoCgroups::NoMemoryController);
    }
    let cpu = offered.contains(&"cpu");
    let request = if cpu { "+memory +cpu" } else { "+memory" };
    let subtree = own.join("cgroup.subtree_control");
    match std::fs::write(&subtree, request) {
        Ok(()) => {}
        Err(error) if error.raw_os_error() == Some(nix::errno::Errno::EBUSY as i32) => {
            move_self(&own.join(AGENT_GROUP)).map_err(|source| NoCgroups::NotWritable { path: own.into(), source })?;
            if let Err(source) = std::fs::write(&subtree, request) {
                let _ = std::fs::write(own.join("cgroup.procs"), std::process::id().to_string());
                let _ = std::fs::remove_dir(own.join(AGENT_GROUP));
                return Err(NoCgroups::NotDelegated { path: own.into(), source });
            }
        }
        Err(source) => return Err(NoCgroups::NotWritable { path: own.into(), source }),
    }
    Ok(CgroupParents { version: CgroupVersion::V2, memory: own.into(), cpu: cpu.then(|| own.into()) })
}

fn move_self(group: &Path) -> io::Result<()> {
    match std::fs::create_dir(group) {
        Err(error) if error.kind() != io::ErrorKind::AlreadyExists => return Err(error),
        _ => {}
    }
    std::fs::write(group.join("cgroup.procs"), std::process::id().to_string())
}

#[cfg(test)]
mod tests;
