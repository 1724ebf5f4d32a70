//! Turns what a client sent (`AppUpdate`) into a canonical `AppDefinition`, as Marathon's app
//! normalization does. One function serves every request:
//!
//! - a new app (`POST`, or `PUT` with `partialUpdate=false`): `update.apply_to(&AppDefinition::new(id))`;
//! - a partial update (`PUT`/`PATCH`, the default): `update.apply_to(&current)`.
//!
//! Sent fields replace the base's; legacy fields move to their canonical places (`ports` to
//! `portDefinitions`, `uris` to `fetch`, `container.docker.network` to `networks`,
//! `container.docker.portMappings` to `container.portMappings`); then the ports are made to fit the
//! networking: host networking has `portDefinitions` (one default port when none are given) and no
//! port mappings, bridge and container networking have `container.portMappings` (one default mapping
//! when none are given; bridge mappings always have a `hostPort`) and no `portDefinitions`. Finally
//! health checks get `portIndex` 0 when they address a port but name none, `ignoreHttp1xx` (HTTP,
//! HTTPS) and `ipProtocol` (MESOS_*).
//!
//! Nothing here checks anything: the id is kept as sent (validation makes it absolute), and legacy
//! fields that contradict canonical ones are reported by validation, which looks at the `AppUpdate`
//! before normalizing it. `version` and `versionInfo` are never taken from a request.

use super::app::{AppDefinition, Artifact};
use super::app_update::{AppUpdate, ContainerRequest};
use super::container::{Container, DockerNetwork};
use super::health_check::{HealthCheck, HealthCheckProtocol, IpProtocol};
use super::networking::{Network, NetworkMode, PortDefinition, PortMapping};

impl AppUpdate {
    /// `base` with what this update sent applied and the result normalized.
    pub fn apply_to(&self, base: &AppDefinition) -> AppDefinition {
        let mut app = base.clone();
        replace(&mut app.id, &self.id);
        self.apply_command(&mut app);
        replace_option(&mut app.user, &self.user);
        replace(&mut app.instances, &self.instances);
        replace(&mut app.cpus, &self.cpus);
        replace(&mut app.mem, &self.mem);
        replace(&mut app.disk, &self.disk);
        replace(&mut app.gpus, &self.gpus);
        replace(&mut app.executor, &self.executor);
        replace(&mut app.env, &self.env);
        replace(&mut app.labels, &self.labels);
        replace(&mut app.constraints, &self.constraints);
        replace(&mut app.require_ports, &self.require_ports);
        replace(&mut app.health_checks, &self.health_checks);
        replace(&mut app.readiness_checks, &self.readiness_checks);
        replace(&mut app.upgrade_strategy, &self.upgrade_strategy);
        replace(&mut app.backoff_seconds, &self.backoff_seconds);
        replace(&mut app.backoff_factor, &self.backoff_factor);
        replace(&mut app.max_launch_delay_seconds, &self.max_launch_delay_seconds);
        replace(&mut app.dependencies, &self.dependencies);
        let legacy_fetch = self.uris.as_ref().map(|uris| uris.iter().map(|uri| Artifact::of_uri(uri)).collect());
        replace(&mut app.fetch, &self.fetch.clone().or(legacy_fetch));
        replace_option(&mut app.accepted_resource_roles, &self.accepted_resource_roles);
        replace(&mut app.kill_selection, &self.kill_selection);
        replace_option(&mut app.task_kill_grace_period_seconds, &self.task_kill_grace_period_seconds);
        replace(&mut app.unreachable_strategy, &self.unreachable_strategy);
        if let Some(container) = &self.container {
            app.container = Some(canonical_container(container));
        }
        replace(&mut app.networks, &self.networks.clone().or_else(|| self.legacy_networks()));
        if app.networks.is_empty() {
            app.networks = vec![Network::host()];
        }
        self.fit_ports_to_networking(&mut app, base);
        let port_count = app.port_count();
        for check in &mut app.health_checks {
            normalize_health_check(check, port_count);
        }
        app
    }

    /// `cmd` and `args` exclude each other: sending one drops the base's other.
    fn apply_command(&self, app: &mut AppDefinition) {
        if self.cmd.is_some() || self.args.is_some() {
            app.cmd = self.cmd.clone();
            app.args = self.args.clone().unwrap_or_default();
        }
    }

    /// `networks` as the legacy `container.docker.network` (and `ipAddress.networkName`) say.
    fn legacy_networks(&self) -> Option<Vec<Network>> {
        let network = match self.legacy_docker_network()? {
            DockerNetwork::Bridge => Network::bridge(),
            // NONE is refused by validation; as a fallback it is read as the host's network.
            DockerNetwork::Host | DockerNetwork::None => Network::host(),
            DockerNetwork::User => Network {
                name: self.ip_address.as_ref().and_then(|ip| ip.network_name.clone()),
                ..Network::of_mode(NetworkMode::Container)
            },
        };
        Some(vec![network])
    }

    fn fit_ports_to_networking(&self, app: &mut AppDefinition, base: &AppDefinition) {
        if app.uses_host_networking() {
            let legacy = self.ports.as_ref().map(|ports| ports.iter().copied().map(PortDefinition::numbered).collect());
            let definitions = self.port_definitions.clone().or(legacy).or_else(|| base.port_definitions.clone());
            app.port_definitions = Some(definitions.unwrap_or_else(|| vec![PortDefinition::default_port()]));
            if let Some(container) = &mut app.container {
                container.port_mappings = None;
            }
            return;
        }
        app.port_definitions = None;
        let mode = app.networks.iter().map(|network| network.mode).find(|mode| *mode != NetworkMode::Host);
        let mode = mode.unwrap_or(NetworkMode::Container);
        if let Some(container) = &mut app.container {
            let mut mappings =
                container.port_mappings.take().unwrap_or_else(|| vec![PortMapping::default_mapping(mode)]);
            if mode == NetworkMode::ContainerBridge {
                for mapping in &mut mappings {
                    mapping.host_port.get_or_insert(0);
                }
            }
            container.port_mappings = Some(mappings);
        }
    }
}

fn canonical_container(request: &ContainerRequest) -> Container {
    let docker = request.docker.as_ref();
    let legacy_mappings = docker.and_then(|docker| docker.port_mappings.clone());
    Container {
        container_type: request.container_type,
        docker: docker.map(|docker| docker.docker.clone()),
        volumes: request.volumes.clone(),
        port_mappings: request.port_mappings.clone().or(legacy_mappings),
    }
}

fn normalize_health_check(check: &mut HealthCheck, port_count: usize) {
    let protocol = check.protocol;
    let marathon_http = matches!(protocol, HealthCheckProtocol::Http | HealthCheckProtocol::Https);
    check.ignore_http_1xx = marathon_http.then(|| check.ignore_http_1xx.unwrap_or(false));
    let run_by_mesos = protocol.uses_port() && !protocol.is_run_by_marathon();
    check.ip_protocol = run_by_mesos.then(|| check.ip_protocol.unwrap_or(IpProtocol::IPv4));
    if protocol.uses_port() && check.port_index.is_none() && check.port.is_none() && port_count > 0 {
        check.port_index = Some(0);
    }
}

fn replace<T: Clone>(field: &mut T, sent: &Option<T>) {
    if let Some(value) = sent {
        *field = value.clone();
    }
}

fn replace_option<T: Clone>(field: &mut Option<T>, sent: &Option<T>) {
    if sent.is_some() {
        field.clone_from(sent);
    }
}
