//! What this host has, for the default `--resources`: Mesos' defaults are every core, total
//! memory less 1 GB, free disk (of the work dir's file system) less 5 GB, and ports 31000-32000.

use std::path::Path;

use corral_wire::mesos::{ParseResourcesError, ResourceSet};

/// Memory (MB) and disk (MB) left to the host itself.
const MEM_KEPT_MB: f64 = 1024.0;
const DISK_KEPT_MB: f64 = 5000.0;
pub const DEFAULT_PORTS: (u64, u64) = (31000, 32000);

/// The host's measurements that the defaults are computed from.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostMeasurements {
    pub cores: usize,
    pub total_mem_mb: f64,
    pub free_disk_mb: f64,
}

impl HostMeasurements {
    /// Reads the core count, `/proc/meminfo` and the free space under `work_dir` (or its
    /// nearest existing ancestor). What cannot be read counts as zero.
    pub fn measure(work_dir: &Path) -> Self {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        let total_mem_mb = std::fs::read_to_string("/proc/meminfo").ok().and_then(|text| mem_total_mb(&text));
        let existing = work_dir.ancestors().find(|dir| dir.exists()).unwrap_or(Path::new("/"));
        let free_disk_mb = nix::sys::statvfs::statvfs(existing)
            .ok()
            .map(|stat| stat.blocks_available() as f64 * stat.fragment_size() as f64 / (1024.0 * 1024.0));
        HostMeasurements { cores, total_mem_mb: total_mem_mb.unwrap_or(0.0), free_disk_mb: free_disk_mb.unwrap_or(0.0) }
    }
}

/// `MemTotal:       16315436 kB` → megabytes.
fn mem_total_mb(meminfo: &str) -> Option<f64> {
    let line = meminfo.lines().find(|line| line.starts_with("MemTotal:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// Parses a `--resources` text and fills in every one of cpus, mem, disk and ports it does not
/// name with the default derived from `host`; what it names is kept as given (even `disk:0`).
pub fn with_defaults(text: &str, host: HostMeasurements) -> Result<ResourceSet, ParseResourcesError> {
    let mut resources = ResourceSet::parse(text)?;
    let named: Vec<&str> = text.split(';').filter_map(|part| part.split_once(':')).map(|(n, _)| n.trim()).collect();
    let missing = |name: &str| !named.contains(&name);
    if missing("cpus") {
        resources.add_scalar("cpus", host.cores as f64);
    }
    if missing("mem") {
        resources.add_scalar("mem", (host.total_mem_mb - MEM_KEPT_MB).max(0.0).floor());
    }
    if missing("disk") {
        resources.add_scalar("disk", (host.free_disk_mb - DISK_KEPT_MB).max(0.0).floor());
    }
    if missing("ports") {
        resources.add_range("ports", DEFAULT_PORTS.0, DEFAULT_PORTS.1);
    }
    Ok(resources)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOST: HostMeasurements = HostMeasurements { cores: 4, total_mem_mb: 8192.0, free_disk_mb: 15000.0 };

    fn check(given: &str, expected: &str) {
        assert_eq!(with_defaults(given, HOST).unwrap().to_string(), expected);
    }

    #[test]
    fn fills_only_what_is_missing() {
        check("", "cpus:4;disk:10000;mem:7168;ports:[31000-32000]");
        check("disk:0", "cpus:4;mem:7168;ports:[31000-32000]");
        check("cpus:2;mem:512", "cpus:2;disk:10000;mem:512;ports:[31000-32000]");
        check("ports:[5000-5001];gpus:1", "cpus:4;disk:10000;gpus:1;mem:7168;ports:[5000-5001]");
    }

    #[test]
    fn reads_meminfo() {
        assert_eq!(mem_total_mb("MemTotal:       2097152 kB\nMemFree: 1 kB\n"), Some(2048.0));
        assert_eq!(mem_total_mb("nothing"), None);
    }
}
