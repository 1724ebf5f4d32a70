//! The Mesos `TaskInfo` marathon launches for one task of an app: resources from the offer,
//! the command or Docker container, Marathon's environment variables, the app's first health
//! check as an agent-side check, the kill grace period and the app's labels.

use corral_wire::marathon::{AppDefinition, HealthCheckProtocol};
use corral_wire::mesos::{
    AgentId, CommandCheck, CommandInfo, ContainerInfo, ContainerType, DockerInfo, DockerNetwork, DurationInfo,
    Environment, EnvironmentVariable, HealthCheck, HealthCheckType, HttpCheck, KillPolicy, Label, Labels, Parameter,
    PortMapping, TaskId, TaskInfo, TcpCheck,
};

use super::app_spec::{host_port_mappings, uses_bridge};
use crate::scheduling::TaskResources;
use crate::store::app_key;

pub(super) fn task_info(app: &AppDefinition, task_id: &str, agent_id: &str, resources: &TaskResources) -> TaskInfo {
    let ports: Vec<u16> = resources.ports();
    TaskInfo {
        name: app_key(&app.id),
        task_id: TaskId::new(task_id.to_string()),
        agent_id: AgentId::new(agent_id.to_string()),
        resources: resources.to_resources(),
        command: Some(command(app)),
        container: container(app, &resources.host_ports),
        health_check: app.health_checks.first().and_then(|check| health_check(check, &ports)),
        kill_policy: app.task_kill_grace_period_seconds.map(|seconds| KillPolicy {
            grace_period: Some(DurationInfo { nanoseconds: seconds.saturating_mul(1_000_000_000) }),
        }),
        labels: (!app.labels.is_empty()).then(|| Labels {
            labels: app
                .labels
                .iter()
                .map(|(key, value)| Label { key: key.clone(), value: Some(value.clone()) })
                .collect(),
        }),
        discovery: None,
        data: None,
    }
}

/// `cmd` runs in a shell; `args` run as they are (in a Docker container, after its entrypoint).
fn command(app: &AppDefinition) -> CommandInfo {
    let docker = app.container.as_ref().and_then(|container| container.docker.as_ref()).is_some();
    let (value, shell, arguments) = match (&app.cmd, app.args.as_slice()) {
        (Some(cmd), _) => (Some(cmd.clone()), Some(true), Vec::new()),
        (None, []) => (None, Some(false), Vec::new()),
        (None, args) if docker => (None, Some(false), args.to_vec()),
        (None, args) => (Some(args[0].clone()), Some(false), args.to_vec()),
    };
    CommandInfo {
        value,
        shell,
        arguments,
        environment: Some(Environment { variables: environment(app) }),
        user: app.user.clone(),
    }
}

/// The app's `env`, then what Marathon adds (`PORT0..` and `HOST` come from the agent).
fn environment(app: &AppDefinition) -> Vec<EnvironmentVariable> {
    let mut variables: Vec<(String, String)> = app.env.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
    variables.push(("MARATHON_APP_ID".into(), app.id.clone()));
    if let Some(version) = app.version {
        variables.push(("MARATHON_APP_VERSION".into(), version.to_string()));
    }
    variables.push(("MARATHON_APP_RESOURCE_CPUS".into(), app.cpus.to_string()));
    variables.push(("MARATHON_APP_RESOURCE_MEM".into(), app.mem.to_string()));
    variables.push(("MARATHON_APP_RESOURCE_DISK".into(), app.disk.to_string()));
    if let Some(image) = app.container.as_ref().and_then(|container| container.image()) {
        variables.push(("MARATHON_APP_DOCKER_IMAGE".into(), image.to_string()));
    }
    let label_names: Vec<String> = app.labels.keys().map(|key| env_name(key)).collect();
    variables.push(("MARATHON_APP_LABELS".into(), label_names.join(" ")));
    for (key, value) in &app.labels {
        variables.push((format!("MARATHON_APP_LABEL_{}", env_name(key)), value.clone()));
    }
    variables.into_iter().map(|(name, value)| EnvironmentVariable { name, value }).collect()
}

/// A label key as an environment variable name: upper case, anything else than letters, digits
/// and `_` becomes `_`.
fn env_name(key: &str) -> String {
    key.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_uppercase() } else { '_' }).collect()
}

fn container(app: &AppDefinition, host_ports: &[Option<u16>]) -> Option<ContainerInfo> {
    let docker = app.container.as_ref()?.docker.as_ref()?;
    let bridged = uses_bridge(app);
    let port_mappings = match (bridged, host_port_mappings(app)) {
        (true, Some(_)) => {
            let mappings = app.container.as_ref().and_then(|c| c.port_mappings.as_ref());
            mappings
                .into_iter()
                .flatten()
                .zip(host_ports)
                .filter_map(|(mapping, host_port)| {
                    Some(PortMapping {
                        host_port: u32::from((*host_port)?),
                        container_port: u32::try_from(mapping.container_port).unwrap_or(0),
                        protocol: Some(format!("{:?}", mapping.protocol).to_lowercase()),
                    })
                })
                .collect()
        }
        _ => Vec::new(),
    };
    Some(ContainerInfo {
        container_type: ContainerType::Docker,
        docker: Some(DockerInfo {
            image: docker.image.clone(),
            network: if bridged { DockerNetwork::Bridge } else { DockerNetwork::Host },
            port_mappings,
            privileged: docker.privileged.then_some(true),
            parameters: docker
                .parameters
                .iter()
                .map(|parameter| Parameter { key: parameter.key.clone(), value: parameter.value.clone() })
                .collect(),
            force_pull_image: docker.force_pull_image.then_some(true),
        }),
        hostname: None,
        volumes: Vec::new(),
    })
}

/// The app's health check as the agent runs it, against the task's host port.
fn health_check(check: &corral_wire::marathon::HealthCheck, ports: &[u16]) -> Option<HealthCheck> {
    let port = || -> Option<u32> {
        match (check.port, check.port_index) {
            (Some(port), _) if port > 0 => u32::try_from(port).ok(),
            (_, index) => ports.get(usize::try_from(index.unwrap_or(0)).ok()?).map(|&port| u32::from(port)),
        }
    };
    let mut health = HealthCheck {
        check_type: HealthCheckType::Tcp,
        http: None,
        tcp: None,
        command: None,
        // Marathon runs HTTP, TCP and COMMAND checks itself, from the start; only Mesos' own
        // checks wait `delaySeconds`.
        delay_seconds: Some(if check.protocol.is_run_by_marathon() { 0.0 } else { check.delay_seconds as f64 }),
        interval_seconds: Some(check.interval_seconds as f64),
        timeout_seconds: Some(check.timeout_seconds as f64),
        consecutive_failures: u32::try_from(check.max_consecutive_failures).ok(),
        grace_period_seconds: Some(check.grace_period_seconds as f64),
    };
    match check.protocol {
        HealthCheckProtocol::Http
        | HealthCheckProtocol::Https
        | HealthCheckProtocol::MesosHttp
        | HealthCheckProtocol::MesosHttps => {
            let scheme = matches!(check.protocol, HealthCheckProtocol::Https | HealthCheckProtocol::MesosHttps);
            health.check_type = HealthCheckType::Http;
            health.http = Some(HttpCheck {
                port: port()?,
                path: Some(check.path.clone().unwrap_or_else(|| "/".to_string())),
                scheme: scheme.then(|| "https".to_string()),
            });
        }
        HealthCheckProtocol::Tcp | HealthCheckProtocol::MesosTcp => health.tcp = Some(TcpCheck { port: port()? }),
        HealthCheckProtocol::Command => {
            health.check_type = HealthCheckType::Command;
            let value = check.command.as_ref()?.value.clone();
            health.command =
                Some(CommandCheck { command: CommandInfo { value: Some(value), ..CommandInfo::default() } });
        }
    }
    Some(health)
}
