//! `Engine`: the leading marathon at work. It holds the `Core` behind a lock and does the IO the
//! core's answers call for:
//!
//! - `framework.rs`: the framework's subscription on the master: offers, status updates,
//!   reconciliation, SUPPRESS and REVIVE.
//! - `runner.rs`: the deployment runner, woken by every change and at the times steps ask for.
//! - `drains.rs`: drain before kill: announcements stored, the load balancers' confirmations
//!   watched, drain nodes of tasks that are gone deleted.
//! - `changes.rs`: what API requests change: deployments (stored first, then applied), rollbacks,
//!   task kills.
//!
//! Locks: `core` is a plain mutex held only for pure work, never across an await; `writes`
//! serializes changes from start (planning) to end (stored and applied).

mod changes;
mod drains;
mod framework;
mod reconciliation;
mod runner;

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use corral_coord_client::CoordClient;
use corral_scheduler_client::Caller;
use corral_wire::marathon::EventKind;
use corral_wire::mesos::{AgentId, Call, CallType, Kill, TaskId};
use tokio::sync::Notify;

use crate::config::MarathonConfig;
use crate::core::Core;
use crate::events::EventBus;
use crate::store::MarathonStore;

pub use changes::ChangeError;

pub struct Engine {
    core: Mutex<Core>,
    /// Held by a change from start to end; holds the last version given out.
    writes: tokio::sync::Mutex<corral_wire::marathon::Timestamp>,
    store: MarathonStore,
    events: EventBus,
    caller: Mutex<Option<Caller>>,
    /// Wakes the runner.
    wake: Notify,
    /// Tells the framework that launches wait (so it revives offers).
    offers_wanted: Notify,
    config: MarathonConfig,
    framework_id: Mutex<Option<String>>,
    /// Stored records that could not be read when this leader took office (moved aside).
    quarantined: usize,
}

impl Engine {
    /// Reads everything back from the store and starts the framework and the runner.
    pub async fn take_office(
        config: MarathonConfig,
        client: CoordClient,
        events: EventBus,
    ) -> Result<Arc<Engine>, crate::store::StoreError> {
        let store = MarathonStore::open(client.clone(), &config.root, &config.lb_root).await?;
        let apps = store.apps().await?;
        let tasks = store.tasks().await?;
        let deployments = store.deployments().await?;
        let framework_id = store.framework_id().await?;
        let drained = store.drained_tasks().await?;
        let quarantined = apps.quarantined.len() + tasks.quarantined.len() + deployments.quarantined.len();
        tracing::info!(
            message = "Marathon state recovered.",
            apps = apps.records.len(),
            tasks = tasks.records.len(),
            deployments = deployments.records.len(),
            drains = drained.len(),
            quarantined
        );
        let (apps, tasks, deployments) = (apps.records, tasks.records, deployments.records);
        let settings = crate::core::CoreSettings {
            drain_wait: config.drain_wait,
            max_instances_per_offer: config.max_instances_per_offer,
            task_launch_timeout: config.task_launch_timeout,
        };
        let mut core = Core::recover(apps, tasks, deployments, settings);
        // Tasks an earlier leader announced stay condemned; drain nodes of tasks gone are removed.
        for task_id in core.resume_drains(&drained, Instant::now()) {
            if let Err(error) = store.delete_drain(&task_id).await {
                tracing::warn!(message = "Could not remove the drain node of an unknown task.", %task_id, %error);
            }
        }
        let engine = Arc::new(Engine {
            core: Mutex::new(core),
            writes: tokio::sync::Mutex::new(crate::clock::now()),
            store,
            events,
            caller: Mutex::new(None),
            wake: Notify::new(),
            offers_wanted: Notify::new(),
            config,
            framework_id: Mutex::new(framework_id.map(|id| id.value)),
            quarantined,
        });
        tokio::spawn(drains::follow(engine.clone(), client.clone()));
        tokio::spawn(framework::run(engine.clone(), client));
        tokio::spawn(runner::run(engine.clone()));
        Ok(engine)
    }

    /// The core, for reading (API views) or a short pure change. A panic while the core was held
    /// left it in a state nothing vouches for: rather than lead on with every call failing, the
    /// instance stops (as on a lost session), and another one takes office with the stored state.
    pub fn core(&self) -> MutexGuard<'_, Core> {
        match self.core.lock() {
            Ok(core) => core,
            Err(_) => {
                tracing::error!(
                    message =
                        "A panic interrupted work on the leader's state; stopping so that another instance leads."
                );
                std::process::exit(70)
            }
        }
    }

    /// How many stored records could not be read when this leader took office.
    pub fn quarantined_records(&self) -> usize {
        self.quarantined
    }

    pub fn framework_id(&self) -> Option<String> {
        self.framework_id.lock().expect("not poisoned").clone()
    }

    pub fn store(&self) -> &MarathonStore {
        &self.store
    }

    pub fn publish(&self, event: EventKind) {
        self.events.publish(event);
    }

    /// Something changed: the runner looks again.
    pub fn wake_runner(&self) {
        self.wake.notify_one();
    }

    fn caller(&self) -> Option<Caller> {
        self.caller.lock().expect("not poisoned").clone()
    }

    /// Sends a call on the current subscription, in the background; dropped (and logged) while
    /// marathon is not subscribed: what it asked for is asked again after the next subscription.
    fn send(&self, call: Call) {
        let Some(caller) = self.caller() else {
            tracing::debug!(message = "Not subscribed; a call waits for the next subscription.", call = ?call.call_type);
            return;
        };
        tokio::spawn(async move {
            let call_type = call.call_type;
            if let Err(error) = caller.call(call).await {
                tracing::warn!(message = "A scheduler call failed.", call = ?call_type, %error);
            }
        });
    }

    fn kill(&self, task_id: &str, agent_id: &str) {
        let mut call = Call::new(CallType::Kill, None);
        call.kill = Some(Kill {
            task_id: TaskId::new(task_id.to_string()),
            agent_id: (!agent_id.is_empty()).then(|| AgentId::new(agent_id.to_string())),
            kill_policy: None,
        });
        self.send(call);
    }
}
