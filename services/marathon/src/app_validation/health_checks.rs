//! Health checks and readiness checks: what they address must exist, COMMAND checks need a command,
//! at most one check is run by Mesos, and their numbers are within Marathon's bounds (0 to `int32`'s
//! largest).

use super::marathon::{AppDefinition, HealthCheck, HealthCheckProtocol};
use super::resources::non_negative_int32;
use super::violations::{element, field, integer, Violations};

pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    let port_count = app.port_count();
    for (index, check) in app.health_checks.iter().enumerate() {
        check_health_check(check, port_count, &element("/healthChecks", index), violations);
    }
    let mesos_checks = app.health_checks.iter().filter(|check| is_mesos_port_check(check.protocol)).count();
    if mesos_checks > 1 {
        violations.add("", "AppDefinition can contain at most one Mesos health check");
    }
    check_readiness(app, violations);
}

fn is_mesos_port_check(protocol: HealthCheckProtocol) -> bool {
    protocol.uses_port() && !protocol.is_run_by_marathon()
}

fn check_health_check(check: &HealthCheck, port_count: usize, path: &str, violations: &mut Violations) {
    if check.protocol == HealthCheckProtocol::Command && check.command.is_none() {
        violations.add(&field(path, "command"), "A command is required when using the COMMAND health check protocol.");
    }
    if check.protocol.uses_port() {
        let addresses_a_port = match (check.port_index, check.port) {
            (Some(index), _) => usize::try_from(index).is_ok_and(|index| index < port_count),
            (None, Some(_)) => true,
            (None, None) => port_count == 1,
        };
        if !addresses_a_port {
            violations.add(
                path,
                "Health check port indices must address an element of the ports array or container port mappings.",
            );
        }
    }
    if let Some(port) = check.port {
        violations.at_least(&field(path, "port"), port, 0, integer);
        violations.at_most(&field(path, "port"), port, 65535, integer);
    }
    let durations = [
        ("gracePeriodSeconds", check.grace_period_seconds),
        ("intervalSeconds", check.interval_seconds),
        ("timeoutSeconds", check.timeout_seconds),
        ("maxConsecutiveFailures", check.max_consecutive_failures),
        ("delaySeconds", check.delay_seconds),
    ];
    for (name, value) in durations {
        non_negative_int32(violations, &field(path, name), value);
    }
}

fn check_readiness(app: &AppDefinition, violations: &mut Violations) {
    violations.at_most("/readinessChecks", app.readiness_checks.len(), 1, integer);
    let mapping_names = app.container.iter().flat_map(|c| c.port_mappings.iter().flatten()).map(|m| &m.name);
    let definition_names = app.port_definitions.iter().flatten().map(|d| &d.name);
    let port_names: Vec<&String> = mapping_names.chain(definition_names).flatten().collect();
    for (index, check) in app.readiness_checks.iter().enumerate() {
        let path = element("/readinessChecks", index);
        if check.name.is_empty() {
            violations.add(&field(&path, "name"), "must not be empty");
        }
        if check.path.is_empty() {
            violations.add(&field(&path, "path"), "must not be empty");
        }
        if !port_names.contains(&&check.port_name) {
            let message = format!("No port definition reference for portName {}", check.port_name);
            violations.add(&field(&path, "portName"), message);
        }
        let timeout_path = field(&path, "timeoutSeconds");
        if check.timeout_seconds >= check.interval_seconds {
            let message = format!("got {}, expected less than {}", check.timeout_seconds, check.interval_seconds);
            violations.add(&timeout_path, message);
        }
        if check.timeout_seconds <= 0 {
            violations.add(&timeout_path, format!("got {}, expected more than 0", check.timeout_seconds));
        }
        if check.http_status_codes_for_ready.is_empty() {
            violations.add(&field(&path, "httpStatusCodesForReady"), "must not be empty");
        }
    }
}
