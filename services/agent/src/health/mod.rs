//! Health checks on the agent, near the task: [`HealthChecks`] runs a task's check on its
//! schedule in a tokio task of its own and hands the runner a verdict whenever the task's
//! health changes or it must be killed. Stops when dropped.

mod policy;
mod probe;

use std::sync::Arc;
use std::time::Duration;

use corral_wire::mesos::HealthCheck;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use policy::{HealthPolicy, HealthTracker, HealthVerdict};
pub use probe::{reachable_port, Probe};

use crate::containerizer::{Container, LaunchRequest};

pub struct HealthChecks {
    verdicts: mpsc::Receiver<HealthVerdict>,
    checker: JoinHandle<()>,
}

impl HealthChecks {
    /// Starts checking the task in `container`; `healthy_before` is the health last reported
    /// (after an agent restart).
    pub fn start(
        check: &HealthCheck,
        request: &LaunchRequest,
        container: Arc<dyn Container>,
        healthy_before: Option<bool>,
    ) -> Self {
        let policy = HealthPolicy::of(check);
        let probe = Probe::of(check, request, Some(container));
        let (sender, verdicts) = mpsc::channel(4);
        let checker = tokio::spawn(check_on_schedule(policy, probe, healthy_before, sender));
        HealthChecks { verdicts, checker }
    }

    /// The next verdict; `None` once the checks have stopped (after a kill verdict).
    pub async fn next(&mut self) -> Option<HealthVerdict> {
        self.verdicts.recv().await
    }
}

impl Drop for HealthChecks {
    fn drop(&mut self) {
        self.checker.abort();
    }
}

async fn check_on_schedule(
    policy: HealthPolicy,
    probe: Result<Probe, String>,
    healthy_before: Option<bool>,
    verdicts: mpsc::Sender<HealthVerdict>,
) {
    let started = Instant::now();
    let mut tracker = HealthTracker::new(policy, healthy_before);
    tokio::time::sleep(policy.delay).await;
    loop {
        let result = match &probe {
            Ok(probe) => match tokio::time::timeout(policy.timeout, probe.run()).await {
                Ok(result) => result,
                Err(_) => Err(format!("no answer within {}", seconds(policy.timeout))),
            },
            Err(unusable) => Err(unusable.clone()),
        };
        if let Some(verdict) = tracker.record(started.elapsed(), result) {
            let kill = matches!(verdict, HealthVerdict::Kill { .. });
            if verdicts.send(verdict).await.is_err() || kill {
                return;
            }
        }
        tokio::time::sleep(policy.interval).await;
    }
}

fn seconds(duration: Duration) -> String {
    format!("{:.1} s", duration.as_secs_f64())
}
