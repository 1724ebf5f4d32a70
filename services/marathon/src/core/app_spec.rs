//! An app definition reduced to what the deployment logic (`AppSpec`) and the offer matcher
//! (`TaskRequirements`) need, so that neither knows Marathon's JSON.

use std::collections::BTreeSet;

use corral_wire::marathon::{self, AppDefinition, NetworkMode};

use crate::deployment::{AppSpec, KillSelection, UpgradeStrategy};
use crate::scheduling::{Constraint, PortRequest, TaskRequirements};

/// The app's `lastConfigChangeAt`, or its version when it has no version info: tasks launched
/// under another config are replaced by a rolling restart.
pub fn config_version(app: &AppDefinition) -> marathon::Timestamp {
    app.version_info
        .as_ref()
        .map(|info| info.last_config_change_at)
        .or(app.version)
        .unwrap_or(marathon::Timestamp::from_millis(0))
}

pub fn spec_of(app: &AppDefinition) -> AppSpec {
    let config = config_version(app).to_string();
    AppSpec {
        id: app.id.clone(),
        version: config.clone(),
        instances: u32::try_from(app.instances).unwrap_or(0),
        runtime_fingerprint: config,
        upgrade_strategy: UpgradeStrategy {
            minimum_health_capacity: app.upgrade_strategy.minimum_health_capacity,
            maximum_over_capacity: app.upgrade_strategy.maximum_over_capacity,
        },
        kill_selection: match app.kill_selection {
            marathon::KillSelection::YoungestFirst => KillSelection::YoungestFirst,
            marathon::KillSelection::OldestFirst => KillSelection::OldestFirst,
        },
        dependencies: app.dependencies.iter().cloned().collect::<BTreeSet<_>>(),
        has_health_checks: !app.health_checks.is_empty(),
    }
}

/// What each task of `app` needs from an offer. Constraints were checked when the app was
/// accepted, so one that does not parse is skipped.
pub(super) fn requirements_of(app: &AppDefinition) -> TaskRequirements {
    TaskRequirements {
        cpus: app.cpus,
        mem: app.mem,
        disk: app.disk,
        gpus: f64::from(app.gpus),
        ports: port_requests(app),
        accepted_roles: app.accepted_resource_roles.clone().unwrap_or_default(),
        constraints: app.constraints.iter().filter_map(|constraint| Constraint::parse(&constraint.0).ok()).collect(),
    }
}

/// Host ports: one per port definition on the host network; one per port mapping with a
/// `hostPort` on a bridge.
fn port_requests(app: &AppDefinition) -> Vec<PortRequest> {
    match host_port_mappings(app) {
        Some(host_ports) => PortRequest::for_port_mappings(&host_ports),
        None => {
            let ports: Vec<u16> = app
                .port_definitions
                .iter()
                .flatten()
                .map(|definition| u16::try_from(definition.port).unwrap_or(0))
                .collect();
            PortRequest::for_port_definitions(&ports, app.require_ports)
        }
    }
}

/// The `hostPort` of each port mapping (None: no host port), when the app uses port mappings.
pub(super) fn host_port_mappings(app: &AppDefinition) -> Option<Vec<Option<u16>>> {
    if app.uses_host_networking() {
        return None;
    }
    let mappings = app.container.as_ref()?.port_mappings.as_ref()?;
    Some(mappings.iter().map(|mapping| mapping.host_port.map(|port| u16::try_from(port).unwrap_or(0))).collect())
}

/// The service ports the app asks for (0: any), in port order.
pub fn requested_service_ports(app: &AppDefinition) -> Vec<u16> {
    let port = |value: i32| u16::try_from(value).unwrap_or(0);
    match app.container.as_ref().and_then(|container| container.port_mappings.as_ref()) {
        Some(mappings) if !app.uses_host_networking() => {
            mappings.iter().map(|mapping| port(mapping.service_port)).collect()
        }
        _ => app.port_definitions.iter().flatten().map(|definition| port(definition.port)).collect(),
    }
}

/// Writes the service ports marathon chose back into the app, where clients read them.
pub(super) fn set_service_ports(app: &mut AppDefinition, ports: &[u16]) {
    let bridged = !app.uses_host_networking();
    if let Some(mappings) = app.container.as_mut().and_then(|container| container.port_mappings.as_mut()) {
        if bridged {
            for (mapping, &port) in mappings.iter_mut().zip(ports) {
                mapping.service_port = i32::from(port);
            }
            return;
        }
    }
    for (definition, &port) in app.port_definitions.iter_mut().flatten().zip(ports) {
        definition.port = i32::from(port);
    }
}

/// True when the app's tasks run on a bridge (Docker `BRIDGE`).
pub(super) fn uses_bridge(app: &AppDefinition) -> bool {
    app.networks.iter().any(|network| network.mode == NetworkMode::ContainerBridge)
}
