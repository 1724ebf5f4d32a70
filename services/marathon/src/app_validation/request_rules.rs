//! Rules about what the client sent, checked before normalization because normalization would
//! hide the mistake: legacy fields that contradict canonical ones, ports that do not fit the
//! networking, and `version` (a rollback) mixed with changes.

use super::marathon::{AppDefinition, AppUpdate, DockerNetwork, NetworkMode};
use super::ports::check_port_number;
use super::violations::{element, Violations};

pub(super) fn check(request: &AppUpdate, base: &AppDefinition, violations: &mut Violations) {
    if request.version.is_some() && !request.is_rollback() {
        violations.add("", "The 'version' field may only be combined with the 'id' field.");
    }
    check_legacy_fields(request, violations);
    check_ports_fit_networking(request, base, violations);
}

fn check_legacy_fields(request: &AppUpdate, violations: &mut Violations) {
    if let Some(ports) = &request.ports {
        for (index, port) in ports.iter().enumerate() {
            check_port_number(&element("/ports", index), *port, violations);
        }
        let fixed: Vec<i32> = ports.iter().copied().filter(|port| *port != 0).collect();
        if (1..fixed.len()).any(|i| fixed[..i].contains(&fixed[i])) {
            violations.add("", "ports must be unique");
        }
        let defined_ports =
            request.port_definitions.as_ref().map(|defs| defs.iter().map(|d| d.port).collect::<Vec<_>>());
        if defined_ports.is_some_and(|defined| &defined != ports) {
            violations.add("", "cannot specify both ports and port definitions");
        }
    }
    if request.uris.as_ref().is_some_and(|uris| !uris.is_empty())
        && request.fetch.as_ref().is_some_and(|f| !f.is_empty())
    {
        violations.add("/uris", "may not be set in conjunction with fetch");
    }
    match request.legacy_docker_network() {
        Some(_) if request.networks.is_some() => {
            violations.add("", "must not specify both container.docker.network and networks");
        }
        Some(DockerNetwork::None) => {
            violations.add("/container/docker/network", "NONE is not supported; use networks");
        }
        _ => {}
    }
}

fn check_ports_fit_networking(request: &AppUpdate, base: &AppDefinition, violations: &mut Violations) {
    let host_networking = match (&request.networks, request.legacy_docker_network()) {
        (Some(networks), _) => networks.iter().all(|network| network.mode == NetworkMode::Host),
        (None, Some(network)) => matches!(network, DockerNetwork::Host | DockerNetwork::None),
        (None, None) => base.uses_host_networking(),
    };
    let sent_mappings = request.container.as_ref().map_or(0, |container| {
        let legacy = container.docker.as_ref().and_then(|docker| docker.port_mappings.as_ref());
        container.port_mappings.as_ref().or(legacy).map_or(0, Vec::len)
    });
    if host_networking && sent_mappings > 0 {
        violations.add("", "portMappings are not allowed with host-networking");
    }
    if !host_networking && request.port_definitions.as_ref().is_some_and(|defs| !defs.is_empty()) {
        violations.add("", "portDefinitions are only allowed with host-networking");
    }
}
