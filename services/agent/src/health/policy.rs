//! When a task counts as healthy, unhealthy, or so unhealthy it must be killed. Pure.
//!
//! Mesos' rules: the first check runs after `delay`, then one every `interval`, each given
//! `timeout`. Failures within `grace_period` of the start are ignored until a check has
//! succeeded once. Health is reported when it changes; after `consecutive_failures` failures in
//! a row (0: never) the task is killed.
//!
//! The timings come from the framework and may be anything: each is bounded as
//! [`crate::framework_durations`] says, and checks run at most every [`SHORTEST_INTERVAL`].

use std::time::Duration;

use corral_wire::mesos::HealthCheck;

use crate::framework_durations;

/// Checks run no more often than this, whatever the interval asked (Marathon accepts 0), so
/// that a check that fails at once cannot keep a core busy.
pub(crate) const SHORTEST_INTERVAL: Duration = Duration::from_millis(100);

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
    /// The check's policy; a timing that is absent, negative or not a number takes the default.
    pub fn of(check: &HealthCheck) -> Self {
        let seconds = |value: Option<f64>, default: u64| {
            value.and_then(framework_durations::from_seconds).unwrap_or(Duration::from_secs(default))
        };
        HealthPolicy {
            delay: seconds(check.delay_seconds, 15),
            interval: seconds(check.interval_seconds, 10).max(SHORTEST_INTERVAL),
            timeout: seconds(check.timeout_seconds, 20),
            consecutive_failures: check.consecutive_failures.unwrap_or(3),
            grace_period: seconds(check.grace_period_seconds, 10),
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
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
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

    /// A TCP check with these `(delay, interval, timeout, grace period)` seconds.
    fn timed(delay: Option<f64>, interval: Option<f64>, timeout: Option<f64>, grace: Option<f64>) -> HealthCheck {
        HealthCheck {
            check_type: HealthCheckType::Tcp,
            http: None,
            tcp: None,
            command: None,
            delay_seconds: delay,
            interval_seconds: interval,
            timeout_seconds: timeout,
            consecutive_failures: None,
            grace_period_seconds: grace,
        }
    }

    #[test]
    fn mesos_defaults() {
        let check = timed(None, Some(2.0), None, None);
        let policy = HealthPolicy::of(&check);
        assert_eq!(policy.delay, Duration::from_secs(15));
        assert_eq!(policy.interval, Duration::from_secs(2));
        assert_eq!(policy.timeout, Duration::from_secs(20));
        assert_eq!(policy.consecutive_failures, 3);
        assert_eq!(policy.grace_period, Duration::from_secs(10));
    }

    #[test]
    fn extreme_timings_are_bounded_instead_of_panicking() {
        let longest = framework_durations::LONGEST;
        let policy = HealthPolicy::of(&timed(Some(1e20), Some(f64::INFINITY), Some(f64::MAX), Some(1e300)));
        assert_eq!(
            (policy.delay, policy.interval, policy.timeout, policy.grace_period),
            (longest, longest, longest, longest)
        );
        let policy = HealthPolicy::of(&timed(Some(-1e20), Some(f64::NAN), Some(-0.5), Some(f64::NEG_INFINITY)));
        assert_eq!(policy.delay, Duration::from_secs(15), "a negative delay takes the default");
        assert_eq!(policy.interval, Duration::from_secs(10), "NaN takes the default");
        assert_eq!(policy.timeout, Duration::from_secs(20));
        assert_eq!(policy.grace_period, Duration::from_secs(10));
        let policy = HealthPolicy::of(&timed(Some(0.0), Some(0.0), Some(0.0), Some(0.0)));
        assert_eq!(policy.interval, SHORTEST_INTERVAL, "no check loop without a pause");
        assert_eq!(policy.delay, Duration::ZERO);
    }

    #[test]
    fn consecutive_failures_stop_counting_at_the_top() {
        let mut tracker = HealthTracker::new(policy(0, 0), None);
        tracker.consecutive_failures = u32::MAX - 1;
        tracker.record(Duration::from_secs(1), Err("refused".into()));
        tracker.record(Duration::from_secs(2), Err("refused".into()));
        assert_eq!(tracker.consecutive_failures, u32::MAX);
    }

    proptest::proptest! {
        #[test]
        fn any_timings_make_a_policy_within_bounds(
            delay in proptest::option::of(proptest::num::f64::ANY),
            interval in proptest::option::of(proptest::num::f64::ANY),
            timeout in proptest::option::of(proptest::num::f64::ANY),
            grace in proptest::option::of(proptest::num::f64::ANY),
        ) {
            let policy = HealthPolicy::of(&timed(delay, interval, timeout, grace));
            for duration in [policy.delay, policy.interval, policy.timeout, policy.grace_period] {
                proptest::prop_assert!(duration <= framework_durations::LONGEST);
            }
            proptest::prop_assert!(policy.interval >= SHORTEST_INTERVAL);
        }
    }
}
