//! The Docker container of a task, computed from its `TaskInfo` (pure): image, command, labels,
//! environment, limits, networking and the sandbox mount. Refuses what cannot run as asked,
//! above all a host port that is not among the task's `ports` resources.

use std::collections::HashMap;

use bollard::container::Config;
use bollard::models::{HostConfig, PortBinding};
use corral_wire::mesos::{DockerInfo, DockerNetwork, ResourceSet};

use crate::containerizer::{task_environment, task_ports, LaunchRequest};

pub const LABEL_AGENT_ID: &str = "corral.agent_id";
pub const LABEL_TASK_ID: &str = "corral.task_id";
pub const LABEL_FRAMEWORK_ID: &str = "corral.framework_id";
/// Where the sandbox is mounted inside the container (Mesos' path).
pub const SANDBOX_IN_CONTAINER: &str = "/mnt/mesos/sandbox";
/// Mesos never sets a memory limit below this.
const MIN_MEMORY_MB: f64 = 32.0;

/// A task that cannot become a Docker container as described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SpecError {
    #[error("the task has no docker section in its container")]
    NoDockerInfo,
    #[error("host port {0} of a port mapping is not among the task's ports resources {1:?}")]
    HostPortNotOffered(u32, Vec<u64>),
    #[error("port mapping protocol `{0}` is neither tcp nor udp")]
    BadProtocol(String),
    #[error("port mappings need BRIDGE networking, not {0:?}")]
    MappingsWithoutBridge(DockerNetwork),
    #[error("USER docker networks are not supported")]
    UserNetwork,
}

/// `corral-<agent id>-<task id>-<run id>`: the agent id prefix keeps agents that share one
/// engine apart; characters Docker refuses in names become `_`.
pub fn container_name(request: &LaunchRequest) -> String {
    let run = request.sandbox.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let clean = |text: &str| -> String {
        text.chars().map(|c| if c.is_ascii_alphanumeric() || "_.-".contains(c) { c } else { '_' }).collect()
    };
    format!("corral-{}-{}-{}", clean(&request.agent_id.value), clean(&request.task.task_id.value), clean(&run))
}

/// The labels every container of this agent carries.
pub fn labels(request: &LaunchRequest) -> HashMap<String, String> {
    HashMap::from([
        (LABEL_AGENT_ID.to_string(), request.agent_id.value.clone()),
        (LABEL_TASK_ID.to_string(), request.task.task_id.value.clone()),
        (LABEL_FRAMEWORK_ID.to_string(), request.framework_id.value.clone()),
    ])
}

pub fn docker_info(request: &LaunchRequest) -> Result<&DockerInfo, SpecError> {
    request.task.container.as_ref().and_then(|c| c.docker.as_ref()).ok_or(SpecError::NoDockerInfo)
}

/// The create-container body of the task.
pub fn container_config(request: &LaunchRequest) -> Result<Config<String>, SpecError> {
    let docker = docker_info(request)?;
    let task = &request.task;
    let (entrypoint, cmd) = command_line(request);
    let env = task_environment(task, &request.host, SANDBOX_IN_CONTAINER)
        .into_iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect();
    let (exposed, bindings) = port_bindings(request, docker)?;
    let resources = ResourceSet::from_resources(&task.resources).unwrap_or_default();
    let cpus = resources.scalar("cpus");
    let mem = resources.scalar("mem");
    let host_config = HostConfig {
        cpu_shares: (cpus > 0.0).then(|| ((cpus * 1024.0).round() as i64).max(2)),
        memory: (mem > 0.0).then(|| (mem.max(MIN_MEMORY_MB) * 1024.0 * 1024.0) as i64),
        binds: Some(vec![format!("{}:{SANDBOX_IN_CONTAINER}", request.sandbox.display())]),
        network_mode: Some(network_mode(docker.network)?.to_string()),
        port_bindings: (!bindings.is_empty()).then_some(bindings),
        privileged: docker.privileged,
        ..Default::default()
    };
    Ok(Config {
        image: Some(docker.image.clone()),
        hostname: task.container.as_ref().and_then(|c| c.hostname.clone()),
        entrypoint,
        cmd,
        env: Some(env),
        labels: Some(labels(request)),
        exposed_ports: (!exposed.is_empty()).then_some(exposed),
        working_dir: None,
        host_config: Some(host_config),
        ..Default::default()
    })
}

/// Mesos' rule: a shell command runs as `/bin/sh -c <value>` (entrypoint replaced); otherwise
/// `value`, if any, replaces the entrypoint and `arguments` are the command; no command at all
/// keeps the image's own.
fn command_line(request: &LaunchRequest) -> (Option<Vec<String>>, Option<Vec<String>>) {
    let Some(command) = &request.task.command else { return (None, None) };
    let value = command.value.clone().filter(|v| !v.is_empty());
    match (command.is_shell(), value) {
        (true, Some(value)) => (Some(vec!["/bin/sh".into(), "-c".into()]), Some(vec![value])),
        (true, None) => (None, None),
        (false, value) => {
            let arguments = (!command.arguments.is_empty()).then(|| command.arguments.clone());
            (value.map(|v| vec![v]), arguments)
        }
    }
}

fn network_mode(network: DockerNetwork) -> Result<&'static str, SpecError> {
    match network {
        DockerNetwork::Bridge => Ok("bridge"),
        DockerNetwork::Host => Ok("host"),
        DockerNetwork::None => Ok("none"),
        DockerNetwork::User => Err(SpecError::UserNetwork),
    }
}

type ExposedPorts = HashMap<String, HashMap<(), ()>>;
type PortMap = HashMap<String, Option<Vec<PortBinding>>>;

fn port_bindings(request: &LaunchRequest, docker: &DockerInfo) -> Result<(ExposedPorts, PortMap), SpecError> {
    let mut exposed = ExposedPorts::new();
    let mut bindings = PortMap::new();
    if docker.port_mappings.is_empty() {
        return Ok((exposed, bindings));
    }
    if docker.network != DockerNetwork::Bridge {
        return Err(SpecError::MappingsWithoutBridge(docker.network));
    }
    let offered = task_ports(&request.task);
    for mapping in &docker.port_mappings {
        if !offered.contains(&u64::from(mapping.host_port)) {
            return Err(SpecError::HostPortNotOffered(mapping.host_port, offered));
        }
        let protocols = mapping.protocol.as_deref().unwrap_or("tcp");
        for protocol in protocols.split(',').map(str::trim) {
            if protocol != "tcp" && protocol != "udp" {
                return Err(SpecError::BadProtocol(protocol.to_string()));
            }
            let key = format!("{}/{protocol}", mapping.container_port);
            exposed.insert(key.clone(), HashMap::new());
            let binding = PortBinding { host_ip: None, host_port: Some(mapping.host_port.to_string()) };
            bindings.entry(key).or_insert_with(|| Some(Vec::new())).get_or_insert_with(Vec::new).push(binding);
        }
    }
    Ok((exposed, bindings))
}

#[cfg(test)]
mod tests;
