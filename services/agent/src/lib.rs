//! The Corral agent: the Mesos agent of Corral. It registers with the leading master, long-polls
//! it for commands (launch, kill, acknowledge, shutdown framework), runs tasks in a containerizer
//! (`docker`, `process` or `simulated`), checks their health, reports their status updates until
//! each is acknowledged, and checkpoints everything in sqlite so that a restarted agent finds its
//! tasks again.
//!
//! How the pieces fit:
//!
//! ```text
//!  master_link (register, long-poll commands = heartbeat, post status updates)
//!        │ commands                        ▲ due updates
//!        ▼                                 │
//!  agent::Agent (tasks, per-task update queues, checkpoint writes) ◄── api (/state, /files, /metrics)
//!        │ spawns one runner per task       ▲ reports (STARTING, RUNNING, healthy, terminal)
//!        ▼                                 │
//!  agent::runner ── containerizer::{process, docker, simulated}  +  health checks
//! ```
//!
//! Layout of `--work-dir`:
//!
//! ```text
//! <work-dir>/agent.db                                         sqlite checkpoint (WAL, synchronous=FULL)
//! <work-dir>/sandboxes/<framework id>/<task id>/<run id>/     one sandbox per task run:
//!                                                             `stdout`, `stderr`, files the task writes
//! ```
//!
//! Invariants: pure logic (update queues, exit-to-state mapping, health verdicts, container
//! specs, task environments, task users and limits, cgroup layouts, the Docker policy, flag
//! parsing, durations frameworks ask for) does no IO and is unit-tested directly; the only module that names bollard is
//! `containerizer::docker`; the only one that knows the master's routes is `master_link` (through
//! `corral_wire::agent_api`); a process task gets its user, cgroups and limits from nothing but
//! its launcher, `corral-agent launch-task`, in its own process before the exec.

pub mod agent;
pub mod api;
pub mod checkpoint;
pub mod config;
pub mod containerizer;
pub mod framework_durations;
pub mod health;
pub mod host_resources;
pub mod master_link;
pub mod run;
pub mod sandbox;
