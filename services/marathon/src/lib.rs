//! `corral-marathon`: Marathon's v2 REST API as a framework on the Corral master.
//!
//! Pure parts, unit-tested on their own:
//! - `app_validation/`: an app request checked with Marathon's messages and paths, and
//!   normalised (over `corral_wire::marathon`, the JSON types).
//! - `scheduling/`: offer matching with constraints and ports, service ports, launch backoff,
//!   kill selection.
//! - `deployment/`: deployment plans (start, scale, restart, stop in dependency order), rollback,
//!   conflicts, and the scale and rolling-restart step functions.
//! - `core/`: the leader's state (apps, tasks, deployments, queues) and every decision on it.
//!
//! IO:
//! - `store/`: apps, versions, deployments, tasks and the framework id in the coordinator.
//! - `engine/`: the leader's loops: the framework on the master, the deployment runner, and the
//!   changes API requests make.
//! - `events/`: the event bus behind `/v2/events`.
//! - `api/`: the HTTP API, proxied to the leader by the other instances.
//! - `serve.rs`: election, taking office, serving.

pub mod api;
pub mod app_validation;
pub mod clock;
pub mod config;
pub mod core;
pub mod deployment;
pub mod engine;
pub mod events;
pub mod scheduling;
pub mod serve;
pub mod store;
