//! What API requests change. A change holds the engine's write lock from the moment it reads the
//! apps it builds on to the moment its deployment is stored and applied, so changes happen one at
//! a time and each sees the one before. A deployment is stored (apps, versions, the deployment)
//! before the core applies it: what a client was told was accepted survives a crash.

use std::collections::BTreeMap;

use corral_wire::marathon::{DeploymentResult, EventKind, Timestamp};

use super::Engine;
use crate::clock;
use crate::core::{event_plan, event_step, AppChange, DeployError, PreparedDeployment};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error(transparent)]
    Deploy(#[from] DeployError),
    #[error("{0}")]
    Store(#[from] StoreError),
}

/// One change in progress (the write lock held).
pub struct Change<'a> {
    engine: &'a Engine,
    last_version: tokio::sync::MutexGuard<'a, Timestamp>,
}

impl Engine {
    /// Waits for the changes before this one to finish.
    pub async fn change(&self) -> Change<'_> {
        Change { engine: self, last_version: self.writes.lock().await }
    }
}

impl Change<'_> {
    /// A new version: now, or just after the last one if the clock has not moved on.
    pub fn new_version(&mut self) -> Timestamp {
        let version = clock::now().max(Timestamp::from_millis(self.last_version.millis() + 1));
        *self.last_version = version;
        version
    }

    /// Deploys `changes` at `version`; `sentenced` names tasks a scale-down kills first.
    pub async fn deploy(
        self,
        changes: Vec<AppChange>,
        version: Timestamp,
        force: bool,
        sentenced: BTreeMap<String, Vec<String>>,
    ) -> Result<DeploymentResult, ChangeError> {
        let id = corral_kit::random_uuid();
        let prepared = self.engine.core().prepare(changes, force, version, sentenced, id)?;
        self.apply(prepared).await
    }

    /// Rolls deployment `id` back: a new deployment to the apps as they were before it.
    pub async fn rollback(mut self, id: &str) -> Result<DeploymentResult, ChangeError> {
        let version = self.new_version();
        let prepared = self.engine.core().prepare_rollback(id, version, corral_kit::random_uuid())?;
        self.apply(prepared).await
    }

    /// Stops deployment `id` where it stands; false if there is none.
    pub async fn cancel(self, id: &str) -> Result<bool, ChangeError> {
        if self.engine.core().deployment(id).is_none() {
            return Ok(false);
        }
        self.engine.store.delete_deployment(id).await?;
        let cancelled = self.engine.core().cancel(id);
        if let Some(deployment) = cancelled {
            self.engine.publish(EventKind::DeploymentFailed { id: id.to_string(), plan: event_plan(&deployment) });
        }
        self.engine.wake_runner();
        Ok(true)
    }

    async fn apply(self, prepared: PreparedDeployment) -> Result<DeploymentResult, ChangeError> {
        let store = &self.engine.store;
        for app in prepared.saved_apps() {
            store.save_app(app).await?;
        }
        for app_id in prepared.removed_apps() {
            store.delete_app(app_id).await?;
        }
        for id in &prepared.cancelled {
            store.delete_deployment(id).await?;
        }
        let deployment = prepared.deployment.clone();
        store.save_deployment(&deployment.plan.id, &deployment).await?;
        let cancelled = self.engine.core().commit(prepared);
        for old in cancelled {
            self.engine.publish(EventKind::DeploymentFailed { id: old.plan.id.clone(), plan: event_plan(&old) });
        }
        for app_id in deployment.target_apps.iter().filter(|(_, app)| app.is_none()).map(|(id, _)| id) {
            self.engine.publish(EventKind::AppTerminatedEvent { app_id: app_id.clone() });
        }
        let plan = event_plan(&deployment);
        if let Some(step) = deployment.plan.steps.first() {
            self.engine.publish(EventKind::DeploymentInfo { plan, current_step: event_step(step) });
        }
        self.engine.publish(EventKind::GroupChangeSuccess { group_id: "/".to_string(), version: deployment.version });
        self.engine.wake_runner();
        Ok(DeploymentResult { deployment_id: deployment.plan.id, version: deployment.version })
    }
}

impl Engine {
    /// Kills tasks without changing their app (the runner then replaces them). As in Marathon,
    /// a kill a user asks for directly (`DELETE /v2/apps/{id}/tasks/{taskId}`, `/v2/tasks/delete`
    /// without `scale`) goes out at once: it is not announced to the load balancers first.
    pub fn kill_tasks(&self, task_ids: &[String]) {
        let killed: Vec<(String, String)> = {
            let mut core = self.core();
            task_ids.iter().filter_map(|id| core.request_kill(id, clock::now())).collect()
        };
        for (task, agent) in killed {
            self.kill(&task, &agent);
        }
        self.wake_runner();
    }
}
