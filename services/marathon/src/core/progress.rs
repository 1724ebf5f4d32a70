//! The runner's step: each running deployment works on its current step (every action asks its
//! step function what to do now, `deployment::advance`), moving on when all its actions are
//! complete; every app no deployment is changing is kept at its instance count the same way (a
//! `ScaleApplication` that never ends), and tasks of apps that are gone are stopped. Running
//! tasks that must go are announced first (`Progress::drains`) and killed once the load balancers
//! confirmed (see `drains.rs`) or the drain wait is over. Kills that did not take are sent again,
//! and tasks that never started are killed. Called on every change and at the time the step
//! functions asked to be woken.

use std::time::{Duration, Instant};

use corral_wire::lb::DrainAnnouncement;
use corral_wire::marathon::{AppDefinition, Timestamp};

use super::{AppRuntime, Core, RunningDeployment};
use crate::deployment::{advance, DeploymentAction, StepInput, TaskView};

/// How long a kill may take before it is sent again.
const KILL_RETRY: Duration = Duration::from_secs(10);

/// What the engine must carry out after a step.
#[derive(Debug, Default)]
pub struct Progress {
    /// Tasks to announce to the load balancers; each is stored before any kill of this step.
    pub drains: Vec<DrainAnnouncement>,
    /// `(task id, agent id)` to kill.
    pub kills: Vec<(String, String)>,
    /// Deployments that moved to another step, each with the step it finished (from 0).
    pub advanced: Vec<(RunningDeployment, usize)>,
    /// Deployments that are done.
    pub finished: Vec<RunningDeployment>,
    pub wake_at: Option<Instant>,
}

impl Core {
    pub fn progress(&mut self, now: Instant, wall: Timestamp) -> Progress {
        let mut progress = Progress::default();
        let mut order: Vec<(Timestamp, String)> =
            self.deployments.values().map(|d| (d.version, d.plan.id.clone())).collect();
        order.sort();
        for (_, id) in order {
            self.progress_deployment(&id, now, wall, &mut progress);
        }

        let locked: std::collections::BTreeSet<String> =
            self.deployments.values().flat_map(|d| d.target_apps.keys().cloned()).collect();
        let kept: Vec<DeploymentAction> = self
            .apps
            .values()
            .filter(|app| !locked.contains(&app.id))
            .map(|app| DeploymentAction::ScaleApplication { app: super::spec_of(app), sentenced: Vec::new() })
            .collect();
        for action in kept {
            self.run_action(&action, now, wall, &mut progress);
        }
        let orphans: Vec<DeploymentAction> = self
            .tasks
            .values()
            .filter_map(|tasks| tasks.values().next())
            .filter(|task| !self.apps.contains_key(&task.app_id) && !locked.contains(&task.app_id))
            .map(|task| {
                let mut app = AppDefinition::new(&task.app_id);
                app.instances = 0;
                DeploymentAction::StopApplication { app: super::spec_of(&app) }
            })
            .collect();
        for action in orphans {
            self.run_action(&action, now, wall, &mut progress);
        }
        self.kill_overdue(wall, &mut progress);
        self.runtimes.retain(|id, _| self.apps.contains_key(id) || self.tasks.contains_key(id) || locked.contains(id));
        progress
    }

    fn progress_deployment(&mut self, id: &str, now: Instant, wall: Timestamp, progress: &mut Progress) {
        loop {
            let Some(deployment) = self.deployments.get(id) else { return };
            let Some(step) = deployment.plan.steps.get(deployment.step) else {
                let done = self.deployments.remove(id).expect("the deployment is here");
                progress.finished.push(done);
                return;
            };
            let actions = step.actions.clone();
            let mut complete = true;
            for action in &actions {
                complete &= self.run_action(action, now, wall, progress);
            }
            if !complete {
                return;
            }
            let deployment = self.deployments.get_mut(id).expect("the deployment is here");
            deployment.step += 1;
            progress.advanced.push((deployment.clone(), deployment.step - 1));
        }
    }

    /// Asks the action's step function what to do now and records it; true once it is complete.
    fn run_action(
        &mut self,
        action: &DeploymentAction,
        now: Instant,
        wall: Timestamp,
        progress: &mut Progress,
    ) -> bool {
        let app = action.app();
        let views: Vec<TaskView> = self.tasks_of(&app.id).map(|task| task.view(app.has_health_checks)).collect();
        let apps = &self.apps;
        let runtime = self.runtimes.entry(app.id.clone()).or_insert_with(|| match apps.get(&app.id) {
            Some(definition) => AppRuntime::new(definition),
            // A stopped app's leftover tasks: nothing is launched for it.
            None => AppRuntime::new(&AppDefinition::new(&app.id)),
        });
        runtime.in_flight.forget_gone(&views);
        let drains = &self.drains;
        runtime.in_flight.mark_confirmed(|task_id| drains.is_confirmed(task_id));
        let input =
            StepInput { tasks: &views, in_flight: &runtime.in_flight, now, drain_wait: self.settings.drain_wait };
        let orders = advance(action, &input);
        runtime.in_flight.record(&orders, now);
        runtime.waiting_since = match runtime.in_flight.queued_launches {
            0 => None,
            _ => Some(runtime.waiting_since.unwrap_or(wall)),
        };
        if let Some(at) = orders.wake_at {
            progress.wake_at = Some(progress.wake_at.map_or(at, |earlier| earlier.min(at)));
        }
        for task_id in &orders.drain {
            if let Some(task) = self.task(task_id) {
                progress.drains.push(DrainAnnouncement {
                    task_id: task.task_id.clone(),
                    app_id: task.app_id.clone(),
                    host: task.host.clone(),
                    ports: task.ports.clone(),
                });
            }
        }
        for task_id in &orders.kill {
            if let Some(task) = self.task_mut(task_id) {
                task.kill_sent_at = Some(wall);
                progress.kills.push((task.task_id.clone(), task.agent_id.clone()));
            }
        }
        orders.complete
    }

    /// Kills again what a kill has not ended within `KILL_RETRY`, and kills tasks still staging
    /// after the launch timeout (they are then replaced), as Marathon's kill retries and
    /// `task_launch_timeout` do.
    fn kill_overdue(&mut self, wall: Timestamp, progress: &mut Progress) {
        let launch_timeout = i64::try_from(self.settings.task_launch_timeout.as_millis()).unwrap_or(i64::MAX);
        let retry = i64::try_from(KILL_RETRY.as_millis()).unwrap_or(i64::MAX);
        for task in self.tasks.values_mut().flat_map(|tasks| tasks.values_mut()) {
            let overdue = match task.kill_sent_at {
                Some(sent) => sent.millis().saturating_add(retry) <= wall.millis(),
                None => task.is_staged() && task.staged_at.millis().saturating_add(launch_timeout) <= wall.millis(),
            };
            if overdue {
                if task.kill_sent_at.is_none() {
                    tracing::info!(message = "A task did not start in time; killing it.", task_id = %task.task_id);
                }
                task.kill_sent_at = Some(wall);
                progress.kills.push((task.task_id.clone(), task.agent_id.clone()));
            }
        }
    }
}
