//! Finding the agent's groups on v1, v2 and hybrid hosts, and the control files of a task's group.

use super::*;

/// A hybrid host (this project's CI machine): v1 controllers, v2 mounted without them.
const HYBRID_CGROUP: &str = "4:memory:/process_api/066ccf\n1:cpu:/\n3:cpuset:/\n0::/\n";
const HYBRID_MOUNTS: &str = "\
31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
";

fn check(proc_cgroup: &str, mountinfo: &str, unified: Option<&str>, memory: Option<&str>, cpu: Option<&str>) {
    let expected = OwnCgroups {
        unified: unified.map(PathBuf::from),
        memory: memory.map(PathBuf::from),
        cpu: cpu.map(PathBuf::from),
    };
    assert_eq!(locate(proc_cgroup, mountinfo), expected, "{proc_cgroup}");
}

#[test]
fn finds_the_agents_groups() {
    check(
        HYBRID_CGROUP,
        HYBRID_MOUNTS,
        Some("/sys/fs/cgroup/unified"),
        Some("/sys/fs/cgroup/memory/process_api/066ccf"),
        Some("/sys/fs/cgroup/cpu"),
    );
    // Pure v2 under systemd.
    let v2_mounts = "29 23 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n";
    check(
        "0::/system.slice/corral-agent.service\n",
        v2_mounts,
        Some("/sys/fs/cgroup/system.slice/corral-agent.service"),
        None,
        None,
    );
    // v1 with cpu and cpuacct in one hierarchy, mounted under a joined name.
    let joined = "30 23 0:27 / /sys/fs/cgroup/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n";
    check("5:cpu,cpuacct:/docker/abc\n", joined, None, None, Some("/sys/fs/cgroup/cpu,cpuacct/docker/abc"));
    // A container that sees only its own sub-tree (mount root = its group).
    let container = "40 30 0:32 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
    check("4:memory:/docker/abc\n", container, None, Some("/sys/fs/cgroup/memory"), None);
    check("4:memory:/docker/abc/child\n", container, None, Some("/sys/fs/cgroup/memory/child"), None);
    check("4:memory:/docker/abcdef\n", container, None, None, None);
    check("4:memory:/elsewhere\n", container, None, None, None);
    // No cgroup file systems at all, and garbage.
    check(HYBRID_CGROUP, "22 1 0:5 / /proc rw - proc proc rw\n", None, None, None);
    check("garbage", "garbage", None, None, None);
}

#[test]
fn mount_points_with_spaces_are_unescaped() {
    let mounts = "35 31 0:32 / /mnt/my\\040cgroups rw - cgroup cgroup rw,memory\n";
    check("4:memory:/a\n", mounts, None, Some("/mnt/my cgroups/a"), None);
}

fn writes(cgroup: &TaskCgroup, limits: TaskLimits) -> Vec<(String, String, bool)> {
    cgroup
        .control_writes(&limits)
        .into_iter()
        .map(|write| (write.file.display().to_string(), write.value, write.optional))
        .collect()
}

fn owned(list: &[(&str, &str, bool)]) -> Vec<(String, String, bool)> {
    list.iter().map(|&(file, value, optional)| (file.to_string(), value.to_string(), optional)).collect()
}

#[test]
fn control_files_per_version() {
    let limits = TaskLimits { memory: Some(33554432), cpu_quota_us: Some(10_000) };
    let v1 =
        CgroupParents { version: CgroupVersion::V1, memory: "/cg/memory/agent".into(), cpu: Some("/cg/cpu".into()) };
    let group = v1.task_group("r1");
    assert_eq!(group.dirs(), [Path::new("/cg/memory/agent/corral-task-r1"), Path::new("/cg/cpu/corral-task-r1")]);
    assert_eq!(group.procs_files()[1], PathBuf::from("/cg/cpu/corral-task-r1/cgroup.procs"));
    assert_eq!(
        writes(&group, limits),
        owned(&[
            ("/cg/memory/agent/corral-task-r1/memory.limit_in_bytes", "33554432", false),
            ("/cg/memory/agent/corral-task-r1/memory.memsw.limit_in_bytes", "33554432", true),
            ("/cg/cpu/corral-task-r1/cpu.cfs_period_us", "100000", false),
            ("/cg/cpu/corral-task-r1/cpu.cfs_quota_us", "10000", false),
        ])
    );
    assert_eq!(group.oom_file(), PathBuf::from("/cg/memory/agent/corral-task-r1/memory.oom_control"));

    let v2 = CgroupParents { version: CgroupVersion::V2, memory: "/cg/agent".into(), cpu: Some("/cg/agent".into()) };
    let group = v2.task_group("r2");
    assert_eq!(group.dirs(), [Path::new("/cg/agent/corral-task-r2")], "one group in v2");
    assert_eq!(
        writes(&group, limits),
        owned(&[
            ("/cg/agent/corral-task-r2/memory.max", "33554432", false),
            ("/cg/agent/corral-task-r2/memory.swap.max", "0", true),
            ("/cg/agent/corral-task-r2/cpu.max", "10000 100000", false),
        ])
    );
    assert_eq!(group.oom_file(), PathBuf::from("/cg/agent/corral-task-r2/memory.events"));

    let no_cpu = CgroupParents { cpu: None, ..v1 }.task_group("t");
    assert_eq!(no_cpu.dirs().len(), 1);
    assert_eq!(writes(&no_cpu, limits).len(), 2, "memory only");
    assert!(writes(&no_cpu, TaskLimits { memory: None, cpu_quota_us: None }).is_empty());
}

#[test]
fn oom_kill_counters_and_pid_lists() {
    let v1 = "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n";
    assert_eq!(counter(v1, "oom_kill"), Some(3));
    let v2 = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
    assert_eq!(counter(v2, "oom_kill"), Some(1));
    assert_eq!(counter("oom_kill_disable 0\n", "oom_kill"), None);
    assert_eq!(pids("12\n345\n\nx\n0\n").collect::<Vec<_>>(), vec![12, 345]);
}

#[test]
fn only_old_task_groups_are_leftovers() {
    let minute = Duration::from_secs(60);
    assert!(is_leftover("corral-task-0a1b", minute));
    assert!(!is_leftover("corral-task-0a1b", Duration::from_millis(200)), "a launcher may be about to join it");
    assert!(!is_leftover("corral-agent", minute * 10));
    assert!(!is_leftover("system.slice", minute * 10));
}
