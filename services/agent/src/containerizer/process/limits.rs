//! The limits a process task is held to, from its `mem` and `cpus` resources. Pure.
//!
//! - Memory: `mem` MB, never less than Mesos' 32 MB floor (the docker containerizer uses the same
//!   floor). In a cgroup this is the group's memory limit: the kernel's OOM killer ends the task
//!   when the group goes over it.
//! - CPU: `cpus` × the CFS period as the group's quota (`cpu.max`, or `cpu.cfs_quota_us` in
//!   cgroup v1), a hard cap: a task with `cpus: 0.5` runs at most 50 ms of every 100 ms.
//! - Without a cgroup: the address space (RLIMIT_AS) of each process of the task is limited to
//!   twice `mem`, and at least `mem` + 256 MiB. RLIMIT_AS counts every mapping, not only memory
//!   in use: shared libraries, thread stacks (8 MiB each) and glibc's per-thread malloc arenas
//!   (64 MiB reservations) are mapped but mostly never touched, so a limit of `mem` itself would
//!   stop most programs from starting (python3 maps 27 MB before doing anything). The headroom
//!   lets ordinary programs run while an allocation far past `mem` (a leak, a runaway buffer)
//!   fails. CPU is not limited then: RLIMIT_CPU would kill a task after so many CPU seconds in
//!   all, which is no share of a CPU.

use corral_wire::mesos::{ResourceSet, TaskInfo};

const MIB: u64 = 1024 * 1024;
/// Mesos never sets a memory limit below this.
const MIN_MEMORY_MB: f64 = 32.0;
/// The CFS period, the kernel's default.
pub(super) const CPU_PERIOD_US: u64 = 100_000;
/// The kernel refuses quotas under 1 ms.
const MIN_CPU_QUOTA_US: u64 = 1_000;
/// The least headroom RLIMIT_AS gives above `mem`.
const MIN_ADDRESS_SPACE_HEADROOM: u64 = 256 * MIB;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TaskLimits {
    /// Bytes; `None` when the task has no `mem`.
    pub memory: Option<u64>,
    /// CPU time per [`CPU_PERIOD_US`], in microseconds; `None` when the task has no `cpus`.
    pub cpu_quota_us: Option<u64>,
}

impl TaskLimits {
    pub fn of(task: &TaskInfo) -> Self {
        let resources = ResourceSet::from_resources(&task.resources).unwrap_or_default();
        let mem = resources.scalar("mem");
        let cpus = resources.scalar("cpus");
        TaskLimits {
            memory: (mem > 0.0).then(|| (mem.max(MIN_MEMORY_MB) * MIB as f64) as u64),
            cpu_quota_us: (cpus > 0.0).then(|| ((cpus * CPU_PERIOD_US as f64).round() as u64).max(MIN_CPU_QUOTA_US)),
        }
    }

    /// The memory limit in whole MB, for messages.
    pub fn memory_mb(&self) -> Option<u64> {
        self.memory.map(|bytes| bytes / MIB)
    }

    /// RLIMIT_AS for each process of the task when no cgroup holds it.
    pub fn address_space(&self) -> Option<u64> {
        self.memory.map(|bytes| bytes.saturating_add(bytes.max(MIN_ADDRESS_SPACE_HEADROOM)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::mesos::{AgentId, CommandInfo, Resource, TaskId};

    fn limits(resources: Vec<Resource>) -> TaskLimits {
        let task = TaskInfo::command_task(TaskId::new("t"), AgentId::new("a"), resources, CommandInfo::default());
        TaskLimits::of(&task)
    }

    fn check(mem: Option<f64>, cpus: Option<f64>, memory: Option<u64>, quota: Option<u64>, address_space: Option<u64>) {
        let mut resources = Vec::new();
        resources.extend(mem.map(|mem| Resource::scalar("mem", mem)));
        resources.extend(cpus.map(|cpus| Resource::scalar("cpus", cpus)));
        let limits = limits(resources);
        assert_eq!(limits.memory, memory, "memory of mem {mem:?}");
        assert_eq!(limits.cpu_quota_us, quota, "quota of cpus {cpus:?}");
        assert_eq!(limits.address_space(), address_space, "address space of mem {mem:?}");
    }

    #[test]
    fn memory_cpu_and_address_space_follow_the_resources() {
        check(Some(128.0), Some(0.5), Some(128 * MIB), Some(50_000), Some(384 * MIB));
        check(Some(16.0), Some(0.1), Some(32 * MIB), Some(10_000), Some(288 * MIB));
        check(Some(1024.0), Some(2.0), Some(1024 * MIB), Some(200_000), Some(2048 * MIB));
        check(None, Some(0.001), None, Some(1_000), None);
        check(None, None, None, None, None);
        assert_eq!(limits(vec![Resource::scalar("mem", 48.5)]).memory_mb(), Some(48));
    }
}
