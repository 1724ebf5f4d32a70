//! Port definitions (host networking) and port mappings (bridge and container networking): numbers
//! in range, names of Marathon's shape and unique, fixed port numbers unique.

use std::collections::HashSet;
use std::hash::Hash;

use super::marathon::{AppDefinition, PortMapping};
use super::violations::{element, field, integer, Violations};

pub(super) const PORT_NAME_PATTERN: &str = "^[a-z0-9-]+$";

pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    if let Some(definitions) = &app.port_definitions {
        for (index, definition) in definitions.iter().enumerate() {
            let path = element("/portDefinitions", index);
            check_port_number(&field(&path, "port"), definition.port, violations);
            check_name(&path, definition.name.as_deref(), violations);
        }
        if has_duplicates(definitions.iter().filter_map(|d| d.name.as_ref())) {
            violations.add("/portDefinitions", "Port names must be unique.");
        }
        if has_duplicates(definitions.iter().map(|d| d.port).filter(|port| *port != 0)) {
            violations.add("/portDefinitions", "Ports must be unique.");
        }
    }
    let mappings = app.container.as_ref().and_then(|container| container.port_mappings.as_ref());
    for (index, mapping) in mappings.into_iter().flatten().enumerate() {
        check_mapping(mapping, &element("/container/portMappings", index), violations);
    }
    if has_duplicates(mappings.into_iter().flatten().filter_map(|m| m.name.as_ref())) {
        violations.add("/container/portMappings", "Port names must be unique.");
    }
}

fn check_mapping(mapping: &PortMapping, path: &str, violations: &mut Violations) {
    check_port_number(&field(path, "containerPort"), mapping.container_port, violations);
    if let Some(host_port) = mapping.host_port {
        check_port_number(&field(path, "hostPort"), host_port, violations);
    }
    check_port_number(&field(path, "servicePort"), mapping.service_port, violations);
    check_name(path, mapping.name.as_deref(), violations);
}

pub(super) fn check_port_number(path: &str, port: i32, violations: &mut Violations) {
    violations.at_least(path, port, 0, integer);
    violations.at_most(path, port, 65535, integer);
}

fn check_name(path: &str, name: Option<&str>, violations: &mut Violations) {
    let well_formed =
        |name: &str| !name.is_empty() && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if name.is_some_and(|name| !well_formed(name)) {
        violations.add(&field(path, "name"), format!("must fully match regular expression '{PORT_NAME_PATTERN}'"));
    }
}

fn has_duplicates<T: Eq + Hash>(items: impl Iterator<Item = T>) -> bool {
    let mut seen = HashSet::new();
    items.into_iter().any(|item| !seen.insert(item))
}
