//! The deployment runner: asks the core to progress (deployments and every app's instance
//! count), then carries the answer out: announcements to the load balancers (stored before any
//! kill), kills, stored step changes, events for steps and deployments that finished, and the
//! removal of drain nodes of tasks that are gone. Runs again when woken by a change (changes
//! close together share one step), at the time a step or a launch backoff asked for, and at least
//! every second.

use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_wire::marathon::EventKind;

use super::{drains, Engine};
use crate::clock;
use crate::core::{event_plan, event_step};

/// The longest the runner sleeps.
const IDLE: Duration = Duration::from_secs(1);
/// Changes arriving close together (a burst of status updates) share one step: each step looks
/// at every task.
const BATCH: Duration = Duration::from_millis(25);

pub(super) async fn run(engine: Arc<Engine>) {
    loop {
        let now = Instant::now();
        let (progress, backoff_deadline, wants_offers) = {
            let mut core = engine.core();
            let progress = core.progress(now, clock::now());
            (progress, core.next_backoff_deadline(now), core.wants_offers())
        };
        if !progress.drains.is_empty() {
            drains::announce(&engine, &progress.drains).await;
        }
        for (task, agent) in &progress.kills {
            engine.kill(task, agent);
        }
        drains::remove_stale(&engine);
        for (deployment, finished_step) in &progress.advanced {
            if let Err(error) = engine.store.save_deployment(&deployment.plan.id, deployment).await {
                tracing::warn!(message = "Could not store a deployment's progress.", deployment_id = %deployment.plan.id, %error);
            }
            let plan = event_plan(deployment);
            let step = deployment.plan.steps.get(*finished_step).map(event_step);
            if let Some(step) = step {
                engine.publish(EventKind::DeploymentStepSuccess { plan: plan.clone(), current_step: step });
            }
            if let Some(next) = deployment.plan.steps.get(deployment.step) {
                engine.publish(EventKind::DeploymentInfo { plan, current_step: event_step(next) });
            }
        }
        for deployment in &progress.finished {
            if let Err(error) = engine.store.delete_deployment(&deployment.plan.id).await {
                tracing::warn!(message = "Could not delete a finished deployment.", deployment_id = %deployment.plan.id, %error);
            }
            tracing::info!(message = "Deployment finished.", deployment_id = %deployment.plan.id);
            engine
                .publish(EventKind::DeploymentSuccess { id: deployment.plan.id.clone(), plan: event_plan(deployment) });
        }
        if wants_offers {
            engine.offers_wanted.notify_one();
        }
        let wake_at =
            [progress.wake_at, backoff_deadline].into_iter().flatten().min().unwrap_or(now + IDLE).min(now + IDLE);
        tokio::select! {
            _ = engine.wake.notified() => tokio::time::sleep(BATCH).await,
            _ = tokio::time::sleep_until(wake_at.into()) => {}
        }
    }
}
