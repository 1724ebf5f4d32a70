//! Marathon's scheduling decisions, pure: which offer a task fits into and with exactly which
//! resources, which service ports an app gets, how long failing launches wait, and which tasks a
//! scale-down kills. No IO and no clock: time is passed in.
//!
//! - `constraint.rs`: `[field, operator, value?]` parsed and validated (`Constraint::parse`).
//! - `placements.rs`: where an app's tasks run, counted per field value (`AppPlacements`), so a
//!   constraint check is a few lookups whatever the number of tasks.
//! - `requirements.rs`: what one task needs (`TaskRequirements`, `PortRequest`) and why an offer
//!   does not do (`NoMatch`).
//! - `offer_matcher.rs` and `host_ports.rs`: placing tasks, of one app or several, into one offer
//!   (`OfferMatcher`), each taking its resources from what the ones before left.
//! - `service_ports.rs`: cluster-unique service ports (`ServicePortAllocator`).
//! - `backoff.rs`: the launch delay after failures (`LaunchBackoff`).
//! - `kill_selection.rs`: which tasks a scale-down kills (`choose_tasks_to_kill`).
//!
//! A matching round builds one `AppPlacements` per app that has tasks to launch, then one
//! `OfferMatcher` per offer, and calls `place_up_to` for each app in turn: each offer costs one
//! attempt per app plus one per task placed.

mod backoff;
mod constraint;
mod host_ports;
mod kill_selection;
mod offer_matcher;
mod placements;
mod requirements;
mod service_ports;

#[cfg(test)]
mod tests;

pub use backoff::{BackoffPolicy, LaunchBackoff, QueueDelay, LONGEST_DELAY};
pub use constraint::{Constraint, ConstraintField, Operator};
pub use kill_selection::{choose_tasks_to_kill, KillCandidate, KillSelection, TaskPhase};
pub use offer_matcher::{OfferMatcher, TaskResources};
pub use placements::{attribute_text, AppPlacements, Placement};
pub use requirements::{NoMatch, PortRequest, ScalarResource, TaskRequirements};
pub use service_ports::{ServicePortAllocator, ServicePortError};
