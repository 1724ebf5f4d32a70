//! Rolling a deployment back (`DELETE /v2/deployments/{id}` without `force`), as Marathon's
//! `DeploymentPlanReverter` does: every app the plan changed goes back to what it was before (an
//! app the plan created goes away), every other app stays as it is now, and the rollback is a new
//! plan from now to there. A restored app keeps its old version, so a half-done rolling restart
//! is undone by replacing only the tasks it had already started.

use std::collections::BTreeMap;

use super::app::{AppId, AppSpec, Version};
use super::plan::{plan, DeploymentId, DeploymentPlan, PlanError, PlanRequest};

/// The apps as they should be once `deployment` is undone, starting from `current`.
pub fn reverted_apps(deployment: &DeploymentPlan, current: &[AppSpec]) -> Vec<AppSpec> {
    let mut apps: BTreeMap<AppId, AppSpec> = current.iter().map(|app| (app.id.clone(), app.clone())).collect();
    for (id, before) in &deployment.originals {
        match before {
            Some(app) => apps.insert(id.clone(), app.clone()),
            None => apps.remove(id),
        };
    }
    apps.into_values().collect()
}

/// The plan that undoes `deployment`, from the apps as they are now (`current`).
pub fn rollback_plan(
    deployment: &DeploymentPlan,
    current: &[AppSpec],
    version: Version,
    new_id: impl FnOnce() -> DeploymentId,
) -> Result<DeploymentPlan, PlanError> {
    let target = reverted_apps(deployment, current);
    plan(PlanRequest { original: current, target: &target, version, sentenced: BTreeMap::new() }, new_id)
}
