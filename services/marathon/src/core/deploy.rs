//! Changes to apps become deployments: the new definitions get their service ports, the plan is
//! made from the apps as they run to the apps wanted, and a deployment that conflicts is refused
//! (409) unless forced, which cancels the conflicting ones. A deployment is also what undoes
//! another (`rollback`). `prepare` decides, the engine stores, `commit` applies: the engine holds
//! its write lock from one to the other, so nothing changes in between.

use std::collections::BTreeMap;

use corral_wire::marathon::{AppDefinition, Timestamp};

use super::app_spec::{set_service_ports, spec_of};
use super::{requested_service_ports, AppRuntime, Core, RunningDeployment};
use crate::deployment::{admit, plan, Admission, AppSpec, DeploymentPlan, PlanError, PlanRequest};
use crate::scheduling::ServicePortError;

/// One app to create or replace (already validated and versioned), or to remove.
#[derive(Debug, Clone, PartialEq)]
pub enum AppChange {
    Put(Box<AppDefinition>),
    Remove(String),
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DeployError {
    #[error("App '{0}' does not exist")]
    UnknownApp(String),
    #[error("{0}")]
    ServicePorts(#[from] ServicePortError),
    #[error("{0}")]
    Plan(#[from] PlanError),
    #[error("App is locked by one or more deployments.")]
    Locked(Vec<String>),
    #[error("Deployment '{0}' does not exist")]
    UnknownDeployment(String),
}

/// A deployment decided on and not yet applied.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedDeployment {
    pub deployment: RunningDeployment,
    /// Running deployments it cancels (forced).
    pub cancelled: Vec<String>,
}

impl PreparedDeployment {
    /// The apps to store as current, with their service ports.
    pub fn saved_apps(&self) -> impl Iterator<Item = &AppDefinition> {
        self.deployment.target_apps.values().flatten()
    }

    /// The ids of the apps to delete from the store.
    pub fn removed_apps(&self) -> impl Iterator<Item = &String> {
        self.deployment.target_apps.iter().filter(|(_, app)| app.is_none()).map(|(id, _)| id)
    }
}

impl Core {
    /// Plans `changes` as deployment `id` at `version`. `sentenced` names tasks a scale-down
    /// must kill first (`DELETE /v2/apps/{id}/tasks?scale=true`).
    pub fn prepare(
        &mut self,
        changes: Vec<AppChange>,
        force: bool,
        version: Timestamp,
        sentenced: BTreeMap<String, Vec<String>>,
        id: String,
    ) -> Result<PreparedDeployment, DeployError> {
        let mut ports = self.service_ports.clone();
        let mut target_apps = BTreeMap::new();
        let mut original_apps = BTreeMap::new();
        for change in changes {
            let (app_id, target) = match change {
                AppChange::Put(mut app) => {
                    let assigned = ports.assign(&app.id, &requested_service_ports(&app))?;
                    set_service_ports(&mut app, &assigned);
                    (app.id.clone(), Some(*app))
                }
                AppChange::Remove(app_id) => {
                    if !self.apps.contains_key(&app_id) {
                        return Err(DeployError::UnknownApp(app_id));
                    }
                    ports.release(&app_id);
                    (app_id, None)
                }
            };
            original_apps.insert(app_id.clone(), self.apps.get(&app_id).cloned());
            target_apps.insert(app_id, target);
        }
        let original: Vec<AppSpec> = original_apps.values().flatten().map(spec_of).collect();
        let target: Vec<AppSpec> = target_apps.values().flatten().map(spec_of).collect();
        let request = PlanRequest { original: &original, target: &target, version: version.to_string(), sentenced };
        let plan = plan(request, || id)?;
        let running: Vec<DeploymentPlan> = self.deployments.values().map(|d| d.plan.clone()).collect();
        let cancelled = match admit(&running, &plan, force) {
            Admission::Start => Vec::new(),
            Admission::Refuse { conflicts } => return Err(DeployError::Locked(conflicts)),
            Admission::CancelThenStart { cancel } => cancel,
        };
        self.service_ports = ports;
        let deployment = RunningDeployment { plan, step: 0, version, original_apps, target_apps };
        Ok(PreparedDeployment { deployment, cancelled })
    }

    /// The deployment that undoes deployment `id` (cancelling it): each app it changed goes back
    /// to what it was, an app it created goes away.
    pub fn prepare_rollback(
        &mut self,
        id: &str,
        version: Timestamp,
        new_id: String,
    ) -> Result<PreparedDeployment, DeployError> {
        let deployment = self.deployments.get(id).ok_or_else(|| DeployError::UnknownDeployment(id.to_string()))?;
        let changes = deployment
            .original_apps
            .iter()
            .filter_map(|(app_id, before)| match before {
                Some(app) => Some(AppChange::Put(Box::new(app.clone()))),
                None if self.apps.contains_key(app_id) => Some(AppChange::Remove(app_id.clone())),
                None => None,
            })
            .collect();
        let mut prepared = self.prepare(changes, true, version, BTreeMap::new(), new_id)?;
        if !prepared.cancelled.iter().any(|cancelled| cancelled == id) {
            prepared.cancelled.push(id.to_string());
        }
        Ok(prepared)
    }

    /// Applies a prepared deployment (after the engine stored it): the apps change now, and the
    /// runner carries the deployment out. Answers the deployments it cancelled.
    pub fn commit(&mut self, prepared: PreparedDeployment) -> Vec<RunningDeployment> {
        let cancelled: Vec<RunningDeployment> =
            prepared.cancelled.iter().filter_map(|id| self.deployments.remove(id)).collect();
        let deployment = prepared.deployment;
        for (app_id, target) in &deployment.target_apps {
            match target {
                Some(app) => {
                    let runtime = self.runtimes.entry(app_id.clone()).or_insert_with(|| AppRuntime::new(app));
                    let config_changed =
                        self.apps.get(app_id).is_none_or(|before| spec_of(before).version != spec_of(app).version);
                    if config_changed {
                        runtime.backoff = AppRuntime::new(app).backoff;
                    }
                    self.apps.insert(app_id.clone(), app.clone());
                }
                None => {
                    self.apps.remove(app_id);
                }
            }
        }
        self.deployments.insert(deployment.plan.id.clone(), deployment);
        cancelled
    }

    /// Cancels deployment `id` where it stands (`DELETE /v2/deployments/{id}?force=true`).
    pub fn cancel(&mut self, id: &str) -> Option<RunningDeployment> {
        self.deployments.remove(id)
    }
}
