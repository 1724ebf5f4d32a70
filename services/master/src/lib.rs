//! `corral-master`: the Mesos master's part in Corral. Agents register and long-poll for
//! commands; frameworks subscribe through the Mesos v1 scheduler HTTP API and are offered the
//! agents' free resources by a Dominant Resource Fairness allocator; tasks are launched, killed
//! and reconciled; masters elect a leader and keep their registry in the coordinator.
//!
//! - `allocator/`: pure DRF allocation (no IO, no clock).
//! - `cluster/`: the leader's view of agents, frameworks, tasks and offers, behind one mutex.
//! - `api/`: the HTTP routes; `event_stream.rs`: the SUBSCRIBE stream; `command_queue.rs`: per-agent commands.
//! - `ui/`: the operator's web page (HTML and script, embedded in the binary and served by `api/`).
//! - `registry.rs`: what survives a master failover; `serve.rs`: election and the leader's loops.

pub mod allocator;
pub mod api;
pub mod cluster;
pub mod command_queue;
pub mod config;
pub mod event_stream;
pub mod ids;
pub mod registry;
pub mod serve;
pub mod service;
