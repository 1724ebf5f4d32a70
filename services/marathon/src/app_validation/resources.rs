//! The numbers of an app: instances and resources, launch backoff, kill grace period, and the
//! upgrade and unreachable strategies; and `acceptedResourceRoles`.
//!
//! Every number has an upper bound, so that none a client sends can overflow the arithmetic that
//! turns it into a delay, a deadline or a resource amount: Marathon's own where it has one (its
//! integer fields are `int32`: `backoffSeconds`, `maxLaunchDelaySeconds`,
//! `taskKillGracePeriodSeconds`, the health check times), and the same bound, `LARGEST`, for the
//! numbers Marathon leaves unbounded (`cpus`, `mem`, `disk`, `backoffFactor`). `instances` and
//! `gpus` are read as `int32` already; the unreachable strategy's seconds are Marathon's `int64`.

use super::marathon::{AppDefinition, UnreachableStrategy};
use super::violations::{double, integer, Violations};

/// The largest value of any numeric field: `2^31 - 1`, Marathon's `int32` maximum.
pub(super) const LARGEST: i64 = i32::MAX as i64;

/// `LARGEST` for the fields that are numbers with fractions.
pub(super) const LARGEST_AMOUNT: f64 = LARGEST as f64;

pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    violations.at_least("/instances", app.instances, 0, integer);
    for (path, amount) in [("/cpus", app.cpus), ("/mem", app.mem), ("/disk", app.disk)] {
        violations.at_least(path, amount, 0.0, double);
        violations.at_most(path, amount, LARGEST_AMOUNT, double);
    }
    violations.at_least("/gpus", app.gpus, 0, integer);

    non_negative_int32(violations, "/backoffSeconds", app.backoff_seconds);
    violations.at_least("/backoffFactor", app.backoff_factor, 1.0, double);
    violations.at_most("/backoffFactor", app.backoff_factor, LARGEST_AMOUNT, double);
    non_negative_int32(violations, "/maxLaunchDelaySeconds", app.max_launch_delay_seconds);
    if let Some(grace_period) = app.task_kill_grace_period_seconds {
        non_negative_int32(violations, "/taskKillGracePeriodSeconds", grace_period);
    }

    let strategy = &app.upgrade_strategy;
    violations.between("/upgradeStrategy/minimumHealthCapacity", strategy.minimum_health_capacity, 0.0, 1.0);
    violations.between("/upgradeStrategy/maximumOverCapacity", strategy.maximum_over_capacity, 0.0, 1.0);

    if let UnreachableStrategy::Enabled { inactive_after_seconds, expunge_after_seconds } = app.unreachable_strategy {
        violations.at_least("/unreachableStrategy/inactiveAfterSeconds", inactive_after_seconds, 0, integer);
        violations.at_least("/unreachableStrategy/expungeAfterSeconds", expunge_after_seconds, 0, integer);
    }

    if app.accepted_resource_roles.as_ref().is_some_and(Vec::is_empty) {
        violations.add("/acceptedResourceRoles", "must not be empty");
    }
}

/// A whole number of seconds (or a count) as Marathon's `int32` fields take one: 0 to `LARGEST`.
pub(super) fn non_negative_int32(violations: &mut Violations, path: &str, value: i64) {
    violations.at_least(path, value, 0, integer);
    violations.at_most(path, value, LARGEST, integer);
}
