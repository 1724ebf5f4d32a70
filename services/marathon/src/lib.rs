//! `corral-marathon`: Marathon's v2 REST API on Corral. Being built (issue 4); what exists so far
//! are its pure parts, unit-tested on their own:
//!
//! - `app_validation/`: an app request checked with Marathon's messages and paths, and
//!   normalised (over `corral_wire::marathon`, the JSON types).
//! - `scheduling/`: offer matching with constraints and ports, service ports, launch backoff,
//!   kill selection.
//! - `store/`: apps, versions, deployments and the framework id in the coordinator, one znode each.
//! - `deployment/`: deployment plans (start, scale, restart, stop in dependency order), rollback,
//!   conflicts, and the scale and rolling-restart step functions.

pub mod app_validation;
pub mod deployment;
pub mod scheduling;
pub mod store;
