//! End-to-end tests and benchmarks of Corral that start the real binaries; see `tests/` for the
//! tests and `src/bin/` for the programs they (and the benchmarks) run. `raw_scheduler` is a
//! Mesos framework in raw HTTP and JSON that the tests drive; `compare` runs the same workload
//! against ZooKeeper, etcd and Corral's coordinator for `compare-bench`.

pub mod compare;
pub mod raw_scheduler;
