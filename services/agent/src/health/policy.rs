//! When a task counts as healthy, unhealthy, or so unhealthy it must be killed. Pure.
//!
//! Mesos' rules: the first check runs after `delay`, then one every `interval`, each given
//! `timeout`. Failures within `grace_period` of the start are ignored until a check has
//! succeeded once. Health is reported when it changes; after `consecutive_failures` failures in
//! a row (0: never) the task is killed.

use std::time::Duration;

use corral_wire::mesos::HealthCheck;

/// The timing and tolerance of one task's checks, with Mesos' defaults filled in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HealthPolicy {
    pub delay: Duration,
    pub interval: Duration,
    pub timeout: Duration,
    pub consecutive_failures: u32,
    pub grace_period: Duration,
}

impl HealthPolicy {
    pub fn of(check: &HealthCheck) -> Self {
        let seconds = |value: Option<f64>, default: f64| {
            Duration::from_secs_f64(value.filter(|v| v.is_finite() && *v >= 0.0).unwrap_or(default))
        };
        HealthPolicy {
            delay: seconds(check.delay_seconds, 15.0),
            interval: seconds(check.interval_seconds, 10.0),
            timeout: seconds(check.timeout_seconds, 20.0),
            consecutive_failures: check.consecutive_failures.unwrap_or(3),
            grace_period: seconds(check.grace_period_seconds, 10.0),
        }
    }
}

/// What a check result means for the task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HealthVerdict {
    /// Its health changed: report TASK_RUNNING with `healthy`.
    Changed { healthy: bool, message: Option<String> },
    /// Too many failures in a row: kill it.
    Kill { message: String },
}

/// Follows one task's check results.
#[derive(Debug, Clone)]
pub struct HealthTracker {
    policy: HealthPolicy,
    healthy: Option<bool>,
    ever_healthy: bool,
    consecutive_failures: u32,
}

impl HealthTracker {
    /// `healthy` is what was last reported (after an agent restart), if anything.
    pub fn new(policy: HealthPolicy, healthy: Option<bool>) -> Self {
        HealthTracker { policy, healthy, ever_healthy: healthy == Some(true), consecutive_failures: 0 }
    }

    /// Takes one result, `since_start` after the checks began.
    pub fn record(&mut self, since_start: Duration, result: Result<(), String>) -> Option<HealthVerdict> {
        match result {
            Ok(()) => {
                self.consecutive_failures = 0;
                self.ever_healthy = true;
                self.change(true, None)
            }
            Err(_) if !self.ever_healthy && since_start < self.policy.grace_period => None,
            Err(why) => {
                self.consecutive_failures += 1;
                let limit = self.policy.consecutive_failures;
                if limit > 0 && self.consecutive_failures >= limit {
                    let message = format!("{} consecutive failures, the last: {why}", self.consecutive_failures);
                    return Some(HealthVerdict::Kill { message });
                }
                self.change(false, Some(why))
            }
        }
    }

    fn change(&mut self, healthy: bool, message: Option<String>) -> Option<HealthVerdict> {
        if self.healthy == Some(healthy) {
            return None;
        }
        self.healthy = Some(healthy);
        Some(HealthVerdict::Changed { healthy, message })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::mesos::HealthCheckType;

    fn policy(consecutive_failures: u32, grace: u64) -> HealthPolicy {
        HealthPolicy {
            delay: Duration::ZERO,
            interval: Duration::from_secs(1),
            timeout: Duration::from_secs(1),
            consecutive_failures,
            grace_period: Duration::from_secs(grace),
        }
    }

    /// Feeds `(seconds since start, ok?)` and compares the verdicts, `-` for none.
    fn check(policy: HealthPolicy, results: &[(u64, bool)], expected: &[&str]) {
        let mut tracker = HealthTracker::new(policy, None);
        let verdicts: Vec<String> = results
            .iter()
            .map(|&(at, ok)| {
                let result = if ok { Ok(()) } else { Err("refused".to_string()) };
                match tracker.record(Duration::from_secs(at), result) {
                    None => "-".to_string(),
                    Some(HealthVerdict::Changed { healthy, .. }) => format!("healthy={healthy}"),
                    Some(HealthVerdict::Kill { .. }) => "kill".to_string(),
                }
            })
            .collect();
        assert_eq!(verdicts, expected);
    }

    #[test]
    fn reports_changes_and_kills_after_the_limit() {
        check(
            policy(3, 0),
            &[(1, true), (2, true), (3, false), (4, false), (5, true)],
            &["healthy=true", "-", "healthy=false", "-", "healthy=true"],
        );
        check(policy(3, 0), &[(1, false), (2, false), (3, false)], &["healthy=false", "-", "kill"]);
        check(policy(0, 0), &[(1, false), (2, false), (3, false), (4, false)], &["healthy=false", "-", "-", "-"]);
    }

    #[test]
    fn the_grace_period_forgives_until_the_first_success() {
        check(
            policy(2, 10),
            &[(1, false), (5, false), (9, false), (11, false), (12, false)],
            &["-", "-", "-", "healthy=false", "kill"],
        );
        check(policy(2, 10), &[(1, true), (2, false), (3, false)], &["healthy=true", "healthy=false", "kill"]);
    }

    #[test]
    fn mesos_defaults() {
        let check = HealthCheck {
            check_type: HealthCheckType::Tcp,
            http: None,
            tcp: None,
            command: None,
            delay_seconds: None,
            interval_seconds: Some(2.0),
            timeout_seconds: None,
            consecutive_failures: None,
            grace_period_seconds: None,
        };
        let policy = HealthPolicy::of(&check);
        assert_eq!(policy.delay, Duration::from_secs(15));
        assert_eq!(policy.interval, Duration::from_secs(2));
        assert_eq!(policy.timeout, Duration::from_secs(20));
        assert_eq!(policy.consecutive_failures, 3);
        assert_eq!(policy.grace_period, Duration::from_secs(10));
    }
}
