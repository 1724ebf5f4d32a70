//! Marathon's deployments, as pure logic: no IO, no clock (time comes in as `now`).
//!
//! - `plan`: the steps from the apps that run to the apps wanted (start, scale, restart, stop, in
//!   dependency order), and `rollback_plan` to undo a deployment.
//! - `conflict`: one deployment per app at a time (409 unless forced).
//! - `advance`: what to do now for the action being worked on: the scale and rolling-restart step
//!   functions (`scale`, `restart`) read the app's tasks and what is already under way
//!   (`InFlight`) and answer `Orders`: launches, announcements to the load balancer, kills.
//!   The async runner carries them out and calls again on every task change and at `wake_at`.
//! - `view`: a running deployment as `GET /v2/deployments` shows it.
//!
//! Apps come in reduced to `AppSpec`, tasks to `TaskView`: nothing here knows Marathon's JSON for
//! apps and tasks.

mod advance;
mod app;
mod conflict;
mod dependency_order;
mod orders;
mod plan;
mod restart;
mod rollback;
mod scale;
mod tasks;
mod view;

#[cfg(test)]
mod tests;

pub use advance::advance;
pub use app::{AppId, AppSpec, KillSelection, TaskId, UpgradeStrategy, Version};
pub use conflict::{admit, conflicting_deployments, Admission};
pub use orders::{InFlight, Orders, StepInput};
pub use plan::{plan, DeploymentAction, DeploymentId, DeploymentPlan, DeploymentStep, PlanError, PlanRequest};
pub use restart::{restart_step, RestartBounds};
pub use rollback::{reverted_apps, rollback_plan};
pub use scale::{scale_step, ScaleTarget};
pub use tasks::{TaskState, TaskView};
pub use view::{deployment_view, ActionView, CurrentActionView, DeploymentView, StepView};
