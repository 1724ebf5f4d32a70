//! Deployment plans: the steps that take a set of apps from what runs to what is wanted, as
//! Marathon's `DeploymentPlan.apply` builds them.
//!
//! 1. Apps that are gone are stopped: dependents before what they depend on, one step per layer
//!    (Marathon's deployments.md: "app is removed first and then db").
//! 2. New apps are started, all in one step, with no instances (`StartApplication`).
//! 3. Then, in dependency order (dependencies first, one step per layer of the target's graph):
//!    a new app is scaled to its instances, an app whose runtime configuration changed is
//!    restarted, an app whose instances alone changed is scaled.
//!
//! Steps run one after the other; the actions of a step run in parallel. Empty steps are dropped.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::app::{AppId, AppSpec, TaskId, Version};
use super::dependency_order::layers;

/// A deployment's id: a UUID in Marathon.
pub type DeploymentId = String;

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentPlan {
    pub id: DeploymentId,
    /// The version of the change: the new apps' version, shown as the deployment's `version`.
    pub version: Version,
    pub steps: Vec<DeploymentStep>,
    /// What each app the plan changes was before: `None` for the apps it creates. Rollback reads it.
    pub originals: BTreeMap<AppId, Option<AppSpec>>,
}

impl DeploymentPlan {
    /// The apps some action of the plan acts on: what the plan locks.
    pub fn affected_apps(&self) -> BTreeSet<AppId> {
        self.steps.iter().flat_map(|step| &step.actions).map(|action| action.app().id.clone()).collect()
    }
}

/// Actions that run in parallel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeploymentStep {
    pub actions: Vec<DeploymentAction>,
}

/// What a step does to one app. Each carries the app as it should end up (for a stop: as it was).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DeploymentAction {
    /// Registers a new app without starting tasks (Marathon's `StartApplication(app, 0)`); a
    /// `ScaleApplication` in a later step starts them.
    StartApplication { app: AppSpec },
    /// Brings the app to `app.instances` tasks, killing the `sentenced` tasks on the way
    /// (`DELETE /v2/apps/{id}/tasks?scale=true`).
    ScaleApplication { app: AppSpec, sentenced: Vec<TaskId> },
    /// Replaces every task of another version than `app.version`, honouring the upgrade strategy.
    RestartApplication { app: AppSpec },
    /// Kills every task of the app.
    StopApplication { app: AppSpec },
}

impl DeploymentAction {
    pub fn app(&self) -> &AppSpec {
        match self {
            DeploymentAction::StartApplication { app }
            | DeploymentAction::ScaleApplication { app, .. }
            | DeploymentAction::RestartApplication { app }
            | DeploymentAction::StopApplication { app } => app,
        }
    }

    /// The action's name as `/v2/deployments` shows it.
    pub fn name(&self) -> &'static str {
        match self {
            DeploymentAction::StartApplication { .. } => "StartApplication",
            DeploymentAction::ScaleApplication { .. } => "ScaleApplication",
            DeploymentAction::RestartApplication { .. } => "RestartApplication",
            DeploymentAction::StopApplication { .. } => "StopApplication",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanError {
    #[error("Dependency graph has cyclic dependencies: {}", .0.join(", "))]
    DependencyCycle(Vec<AppId>),
}

/// What a plan is made from.
#[derive(Clone, Debug)]
pub struct PlanRequest<'a> {
    /// Every app as it is now.
    pub original: &'a [AppSpec],
    /// Every app as it should be.
    pub target: &'a [AppSpec],
    pub version: Version,
    /// Tasks to kill while scaling, by app.
    pub sentenced: BTreeMap<AppId, Vec<TaskId>>,
}

/// The plan from `request.original` to `request.target`. `new_id` names it (pass `|| id` to
/// choose the id yourself).
pub fn plan(request: PlanRequest<'_>, new_id: impl FnOnce() -> DeploymentId) -> Result<DeploymentPlan, PlanError> {
    let original = by_id(request.original);
    let target = by_id(request.target);
    let mut steps = Vec::new();

    let removed = |id: &AppId| !target.contains_key(id);
    for layer in layers(&original, removed)?.into_iter().rev() {
        steps.push(step(layer.into_iter().map(|app| DeploymentAction::StopApplication { app: app.clone() })));
    }

    let added = |id: &AppId| !original.contains_key(id);
    let new_apps = target.values().filter(|app| added(&app.id));
    steps.push(step(new_apps.map(|app| DeploymentAction::StartApplication { app: (*app).clone() })));

    let changed = |id: &AppId| original.get(id).is_none_or(|before| *before != target[id]);
    for layer in layers(&target, changed)? {
        steps.push(step(layer.into_iter().filter_map(|app| target_action(original.get(&app.id), app, &request))));
    }

    steps.retain(|step| !step.actions.is_empty());
    let mut originals = BTreeMap::new();
    for id in original.keys().chain(target.keys()) {
        if original.get(id) != target.get(id) {
            originals.insert(id.clone(), original.get(id).map(|app| (*app).clone()));
        }
    }
    Ok(DeploymentPlan { id: new_id(), version: request.version, steps, originals })
}

/// The action that brings an existing or new app to `app`, if any.
fn target_action(before: Option<&&AppSpec>, app: &AppSpec, request: &PlanRequest<'_>) -> Option<DeploymentAction> {
    match before {
        None => Some(DeploymentAction::ScaleApplication { app: app.clone(), sentenced: Vec::new() }),
        Some(before) if before.is_only_scale_change(app) => {
            let sentenced = request.sentenced.get(&app.id).cloned().unwrap_or_default();
            Some(DeploymentAction::ScaleApplication { app: app.clone(), sentenced })
        }
        Some(before) if before.needs_restart(app) => Some(DeploymentAction::RestartApplication { app: app.clone() }),
        Some(_) => None,
    }
}

fn step(actions: impl Iterator<Item = DeploymentAction>) -> DeploymentStep {
    DeploymentStep { actions: actions.collect() }
}

fn by_id(apps: &[AppSpec]) -> BTreeMap<AppId, &AppSpec> {
    apps.iter().map(|app| (app.id.clone(), app)).collect()
}
