//! The one entry point the async runner calls for the action it is working on: which step
//! function serves which action.

use super::orders::{Orders, StepInput};
use super::plan::DeploymentAction;
use super::restart::restart_step;
use super::scale::{scale_step, ScaleTarget};

/// What to do now for `action`, given the app's tasks and what is under way. A
/// `StartApplication` only registers the app (its tasks come with the next step's
/// `ScaleApplication`), so it is complete at once.
pub fn advance(action: &DeploymentAction, input: &StepInput<'_>) -> Orders {
    match action {
        DeploymentAction::StartApplication { .. } => Orders::completed(),
        DeploymentAction::ScaleApplication { app, sentenced } => {
            let target = ScaleTarget {
                instances: app.instances,
                version: &app.version,
                kill_selection: app.kill_selection,
                sentenced,
            };
            scale_step(&target, input)
        }
        DeploymentAction::RestartApplication { app } => restart_step(app, input),
        DeploymentAction::StopApplication { app } => {
            let target =
                ScaleTarget { instances: 0, version: &app.version, kill_selection: app.kill_selection, sentenced: &[] };
            scale_step(&target, input)
        }
    }
}
