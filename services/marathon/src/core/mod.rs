//! `Core`: the leading marathon's state (apps, their tasks, running deployments, launch queues,
//! service ports) and every decision made on it, without IO or clock: the engine (`engine/`)
//! holds it behind a lock, passes the time in, and carries out what it answers (store writes,
//! scheduler calls, events).
//!
//! - `deploy.rs`: a change to apps becomes a deployment (plan, conflicts, service ports), and a
//!   deployment is rolled back or cancelled.
//! - `progress.rs`: the deployment runner and the keeper of every other app's instance count.
//! - `offers.rs`: which queued launches go into which offers.
//! - `status.rs`: what a task status update changes.
//! - `drains.rs`: drain before kill: the load balancers registered and what they confirmed.
//! - `views.rs`: the API's JSON for apps, tasks, deployments and the queue.

mod app_spec;
mod deploy;
mod drains;
mod instance;
mod offers;
mod progress;
mod status;
mod task_info;
mod views;

#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use corral_wire::marathon::{AppDefinition, TaskFailure, Timestamp};
use serde::{Deserialize, Serialize};

use crate::deployment::{DeploymentPlan, InFlight};
use crate::scheduling::{BackoffPolicy, LaunchBackoff, ServicePortAllocator};

pub use app_spec::{config_version, requested_service_ports, spec_of};
pub use deploy::{AppChange, DeployError, PreparedDeployment};
pub use drains::{change_of, DrainBoard, DrainChange};
pub use instance::{state_name, Health, Instance};
pub use offers::{OfferLaunch, OfferRound};
pub use progress::Progress;
pub use status::StatusOutcome;
pub use views::{event_plan, event_step, group_of, members_prefix, Embed};

/// Service ports come from here, as in Marathon.
pub const SERVICE_PORTS: std::ops::Range<u16> = 10_000..20_000;

#[derive(Debug, Clone, Copy)]
pub struct CoreSettings {
    /// How long a task announced as leaving lives on before it is killed, unless every load
    /// balancer confirms its drain sooner.
    pub drain_wait: Duration,
    /// At most this many tasks go into one offer.
    pub max_instances_per_offer: u32,
    /// A task still staging this long after its launch is killed (and so replaced).
    pub task_launch_timeout: Duration,
}

/// A deployment being carried out, as it is stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunningDeployment {
    pub plan: DeploymentPlan,
    /// The step being worked on, from 0.
    pub step: usize,
    pub version: Timestamp,
    /// Each affected app as it was before (None: the deployment created it), for a rollback.
    pub original_apps: BTreeMap<String, Option<AppDefinition>>,
    /// The affected apps as the deployment leaves them (None: it removes them).
    pub target_apps: BTreeMap<String, Option<AppDefinition>>,
}

/// What marathon keeps about one app's launches beside its definition.
#[derive(Debug, Clone)]
pub struct AppRuntime {
    pub in_flight: InFlight,
    pub backoff: LaunchBackoff,
    /// Since when launches have been waiting (for `/v2/queue`).
    pub waiting_since: Option<Timestamp>,
    pub last_failure: Option<TaskFailure>,
    pub offers_processed: u64,
    pub offers_unused: u64,
    pub last_unused_offer_at: Option<Timestamp>,
    pub last_used_offer_at: Option<Timestamp>,
}

impl AppRuntime {
    fn new(app: &AppDefinition) -> AppRuntime {
        AppRuntime {
            in_flight: InFlight::default(),
            backoff: LaunchBackoff::new(backoff_policy(app)),
            waiting_since: None,
            last_failure: None,
            offers_processed: 0,
            offers_unused: 0,
            last_unused_offer_at: None,
            last_used_offer_at: None,
        }
    }
}

fn backoff_policy(app: &AppDefinition) -> BackoffPolicy {
    BackoffPolicy::from_seconds(app.backoff_seconds as f64, app.backoff_factor, app.max_launch_delay_seconds as f64)
}

#[derive(Debug)]
pub struct Core {
    apps: BTreeMap<String, AppDefinition>,
    /// Tasks by app id, then task id. An app being stopped keeps its tasks here after its
    /// definition is gone.
    tasks: BTreeMap<String, BTreeMap<String, Instance>>,
    /// The app of each task.
    task_apps: HashMap<String, String>,
    runtimes: BTreeMap<String, AppRuntime>,
    deployments: BTreeMap<String, RunningDeployment>,
    service_ports: ServicePortAllocator,
    /// The load balancers and their confirmations of announced drains.
    drains: DrainBoard,
    settings: CoreSettings,
}

impl Core {
    /// The state a new leader reads back from the store.
    pub fn recover(
        apps: Vec<AppDefinition>,
        tasks: Vec<Instance>,
        deployments: Vec<RunningDeployment>,
        settings: CoreSettings,
    ) -> Core {
        let mut core = Core {
            apps: BTreeMap::new(),
            tasks: BTreeMap::new(),
            task_apps: HashMap::new(),
            runtimes: BTreeMap::new(),
            deployments: BTreeMap::new(),
            service_ports: ServicePortAllocator::new(SERVICE_PORTS),
            drains: DrainBoard::default(),
            settings,
        };
        for app in apps {
            if let Err(error) = core.service_ports.assign(&app.id, &requested_service_ports(&app)) {
                tracing::warn!(message = "A stored app's service ports clash.", app_id = %app.id, %error);
            }
            core.runtimes.insert(app.id.clone(), AppRuntime::new(&app));
            core.apps.insert(app.id.clone(), app);
        }
        for task in tasks {
            core.insert_task(task);
        }
        for deployment in deployments {
            core.deployments.insert(deployment.plan.id.clone(), deployment);
        }
        core
    }

    pub fn apps(&self) -> impl Iterator<Item = &AppDefinition> {
        self.apps.values()
    }

    pub fn app(&self, id: &str) -> Option<&AppDefinition> {
        self.apps.get(id)
    }

    pub fn app_count(&self) -> usize {
        self.apps.len()
    }

    /// The tasks of one app (also of an app being stopped).
    pub fn tasks_of(&self, app_id: &str) -> impl Iterator<Item = &Instance> {
        self.tasks.get(app_id).into_iter().flat_map(|tasks| tasks.values())
    }

    pub fn all_tasks(&self) -> impl Iterator<Item = &Instance> {
        self.tasks.values().flat_map(|tasks| tasks.values())
    }

    pub fn task(&self, task_id: &str) -> Option<&Instance> {
        self.tasks.get(self.task_apps.get(task_id)?)?.get(task_id)
    }

    pub fn task_count(&self) -> usize {
        self.tasks.values().map(BTreeMap::len).sum()
    }

    pub fn deployments(&self) -> impl Iterator<Item = &RunningDeployment> {
        self.deployments.values()
    }

    pub fn deployment(&self, id: &str) -> Option<&RunningDeployment> {
        self.deployments.get(id)
    }

    pub fn runtime(&self, app_id: &str) -> Option<&AppRuntime> {
        self.runtimes.get(app_id)
    }

    /// The ids of the running deployments that change `app_id`.
    pub fn deployments_of(&self, app_id: &str) -> Vec<String> {
        self.deployments
            .values()
            .filter(|deployment| deployment.target_apps.contains_key(app_id))
            .map(|deployment| deployment.plan.id.clone())
            .collect()
    }

    /// True while some app waits for launches that no offer has taken yet.
    pub fn wants_offers(&self) -> bool {
        self.runtimes.values().any(|runtime| runtime.in_flight.queued_launches > 0)
    }

    /// Clears an app's launch delay (`DELETE /v2/queue/{app}/delay`); false for an unknown app.
    pub fn reset_delay(&mut self, app_id: &str) -> bool {
        match self.runtimes.get_mut(app_id) {
            Some(runtime) if self.apps.contains_key(app_id) => {
                runtime.backoff.reset();
                true
            }
            _ => false,
        }
    }

    fn insert_task(&mut self, task: Instance) {
        self.task_apps.insert(task.task_id.clone(), task.app_id.clone());
        self.tasks.entry(task.app_id.clone()).or_default().insert(task.task_id.clone(), task);
    }

    fn task_mut(&mut self, task_id: &str) -> Option<&mut Instance> {
        let app_id = self.task_apps.get(task_id)?;
        self.tasks.get_mut(app_id)?.get_mut(task_id)
    }

    fn remove_task(&mut self, task_id: &str) -> Option<Instance> {
        let app_id = self.task_apps.remove(task_id)?;
        let tasks = self.tasks.get_mut(&app_id)?;
        let removed = tasks.remove(task_id);
        if tasks.is_empty() {
            self.tasks.remove(&app_id);
        }
        removed
    }
}

impl Core {
    /// Marks a task as being killed; `(task id, agent id)` to send the kill to.
    pub fn request_kill(&mut self, task_id: &str, wall: Timestamp) -> Option<(String, String)> {
        let task = self.task_mut(task_id)?;
        task.kill_sent_at = Some(wall);
        Some((task.task_id.clone(), task.agent_id.clone()))
    }
}
