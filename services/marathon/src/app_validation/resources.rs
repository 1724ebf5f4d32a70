//! The numbers of an app: instances and resources, launch backoff, kill grace period, and the
//! upgrade and unreachable strategies; and `acceptedResourceRoles`.

use super::marathon::{AppDefinition, UnreachableStrategy};
use super::violations::{double, integer, Violations};

pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    violations.at_least("/instances", app.instances, 0, integer);
    violations.at_least("/cpus", app.cpus, 0.0, double);
    violations.at_least("/mem", app.mem, 0.0, double);
    violations.at_least("/disk", app.disk, 0.0, double);
    violations.at_least("/gpus", app.gpus, 0, integer);

    violations.at_least("/backoffSeconds", app.backoff_seconds, 0, integer);
    violations.at_least("/backoffFactor", app.backoff_factor, 1.0, double);
    violations.at_least("/maxLaunchDelaySeconds", app.max_launch_delay_seconds, 0, integer);
    if let Some(grace_period) = app.task_kill_grace_period_seconds {
        violations.at_least("/taskKillGracePeriodSeconds", grace_period, 0, integer);
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
