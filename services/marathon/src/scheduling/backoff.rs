//! Launch backoff: after a task of an app fails, launches of the app wait, longer after each failure.
//!
//! Marathon's rules (its `RateLimiter`): the first failure delays launches by `backoffSeconds`
//! (at most `maxLaunchDelaySeconds`); each failure after that multiplies the delay by
//! `backoffFactor`, up to `maxLaunchDelaySeconds`, counted from that failure. The delay is
//! forgotten, so the next failure starts again from `backoffSeconds`, when
//! - no task failed for `maxLaunchDelaySeconds` after the last failure (the app's tasks ran long
//!   enough: that is the only "success" Marathon counts; a task becoming healthy does not reset it),
//! - the app's configuration changes (Marathon keeps delays per config version; a change of
//!   `instances` alone keeps the delay): the caller starts a new `LaunchBackoff` or calls `reset`,
//! - someone calls `DELETE /v2/queue/{app}/delay`: `reset`.
//!
//! A grown delay is rounded to whole milliseconds. Every delay is held to at most `LONGEST_DELAY`
//! (Marathon's own bound: `backoffSeconds` and `maxLaunchDelaySeconds` are `int32`), whatever the
//! factor, and every deadline is computed with `clock::later`, so no app, stored or sent, can make
//! the arithmetic overflow. Pure: the time is passed in.

use std::time::{Duration, Instant};

use serde::Serialize;

use crate::clock::later;

/// The longest backoff or launch delay: `2^31 - 1` seconds, the largest `backoffSeconds` or
/// `maxLaunchDelaySeconds` Marathon reads (both are `int32` in its API).
pub const LONGEST_DELAY: Duration = Duration::from_secs(i32::MAX as u64);

/// An app's `backoffSeconds`, `backoffFactor` and `maxLaunchDelaySeconds`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BackoffPolicy {
    pub backoff: Duration,
    pub factor: f64,
    pub max_launch_delay: Duration,
}

impl Default for BackoffPolicy {
    /// Marathon's defaults: 1 s, 1.15, 300 s.
    fn default() -> Self {
        BackoffPolicy::from_seconds(1.0, 1.15, 300.0)
    }
}

impl BackoffPolicy {
    /// From the app's fields; amounts that are not finite and positive count as 0, durations
    /// beyond `LONGEST_DELAY` as `LONGEST_DELAY`.
    pub fn from_seconds(backoff_seconds: f64, factor: f64, max_launch_delay_seconds: f64) -> BackoffPolicy {
        let duration = |seconds: f64| match Duration::try_from_secs_f64(seconds) {
            Ok(duration) => duration.min(LONGEST_DELAY),
            Err(_) if seconds > 0.0 => LONGEST_DELAY,
            Err(_) => Duration::ZERO,
        };
        BackoffPolicy {
            backoff: duration(backoff_seconds),
            factor: if factor.is_finite() && factor > 0.0 { factor } else { 0.0 },
            max_launch_delay: duration(max_launch_delay_seconds),
        }
    }
}

/// The `delay` of an app in `/v2/queue`: `{"timeLeftSeconds": 3, "overdue": false}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDelay {
    pub time_left_seconds: u64,
    pub overdue: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Delay {
    /// The failure it was set at.
    since: Instant,
    current: Duration,
}

/// The launch delay of one app (of one config version).
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchBackoff {
    policy: BackoffPolicy,
    delay: Option<Delay>,
}

impl LaunchBackoff {
    pub fn new(policy: BackoffPolicy) -> LaunchBackoff {
        LaunchBackoff { policy, delay: None }
    }

    pub fn policy(&self) -> &BackoffPolicy {
        &self.policy
    }

    /// A task of the app failed at `now`; returns when launches may resume.
    pub fn record_failure(&mut self, now: Instant) -> Instant {
        let max = self.policy.max_launch_delay;
        let current = match self.delay_in_force(now) {
            Some(delay) => {
                // In whole milliseconds, so that a delay reads the same however often it grew.
                let grown = (delay.current.as_millis() as f64 * self.policy.factor).round();
                if grown < max.as_millis() as f64 {
                    Duration::from_millis(grown as u64)
                } else {
                    max
                }
            }
            None => self.policy.backoff.min(max),
        };
        self.delay = Some(Delay { since: now, current });
        later(now, current)
    }

    /// Forgets the delay: launches may go ahead at once and the next failure starts from `backoff`.
    pub fn reset(&mut self) {
        self.delay = None;
    }

    /// The current delay's end, while the delay is remembered (also after it ended, until no
    /// failure happened for `maxLaunchDelaySeconds`).
    pub fn deadline(&self, now: Instant) -> Option<Instant> {
        self.delay_in_force(now).map(|delay| later(delay.since, delay.current))
    }

    /// Until when launches must wait; `None` when they may go ahead now.
    pub fn delay_until(&self, now: Instant) -> Option<Instant> {
        self.deadline(now).filter(|deadline| *deadline > now)
    }

    /// How long launches must still wait; zero when they may go ahead.
    pub fn time_left(&self, now: Instant) -> Duration {
        self.delay_until(now).map_or(Duration::ZERO, |deadline| deadline.saturating_duration_since(now))
    }

    /// Whether a delay has ended and its launches are due (Marathon's `overdue`: the time left is
    /// negative). False without a delay.
    pub fn overdue(&self, now: Instant) -> bool {
        self.deadline(now).is_some_and(|deadline| deadline < now)
    }

    /// The `delay` object of `/v2/queue`; whole seconds, rounded down as Marathon does.
    pub fn queue_delay(&self, now: Instant) -> QueueDelay {
        QueueDelay { time_left_seconds: self.time_left(now).as_secs(), overdue: self.overdue(now) }
    }

    /// The delay, unless no failure happened for `maxLaunchDelaySeconds` since it was set.
    fn delay_in_force(&self, now: Instant) -> Option<Delay> {
        self.delay.filter(|delay| now <= later(delay.since, self.policy.max_launch_delay))
    }
}
