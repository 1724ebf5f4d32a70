//! The agent's flags (each with a `CORRAL_...` environment fallback) and their validation into
//! an [`AgentConfig`]. Everything is checked before any socket opens; a bad value is one error
//! that names its flag. Validation is pure: what it needs from the host is passed in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use corral_coord_client::CoordAddresses;
use corral_kit::{LogFormat, Security, SecurityArgs};
use corral_wire::mesos::{Attribute, ResourceSet};

use crate::containerizer::ContainerizerKind;
use crate::host_resources::{with_defaults, HostMeasurements};

#[derive(Debug, Clone, clap::Parser)]
#[command(
    name = "corral-agent",
    version,
    about = "Corral's agent: runs tasks in Docker or as processes for the master."
)]
pub struct AgentFlags {
    /// Where the agent's HTTP API listens.
    #[arg(long, env = "CORRAL_AGENT_LISTEN", default_value = "0.0.0.0:5051")]
    pub listen: String,
    /// HOST:PORT the master and users reach this agent at (default: the listen address, or this
    /// host's name when listening on all addresses).
    #[arg(long, env = "CORRAL_AGENT_ADVERTISE")]
    pub advertise: Option<String>,
    /// The coordinator ensemble, to find the leading master: HOST:PORT,HOST:PORT,...
    #[arg(long, env = "CORRAL_COORDINATOR")]
    pub coordinator: Option<String>,
    /// A master to register with directly instead: http://HOST:PORT.
    #[arg(long, env = "CORRAL_MASTER")]
    pub master: Option<String>,
    /// The masters' directory in the coordinator (as their `--root`); the leader is found under
    /// `<root>/leader`.
    #[arg(long, env = "CORRAL_MASTER_ROOT", default_value = "/corral/master")]
    pub master_root: String,
    /// Sandboxes and the checkpoint (agent.db) live here.
    #[arg(long, env = "CORRAL_AGENT_WORK_DIR")]
    pub work_dir: PathBuf,
    /// Containerizers to use, in order of preference: docker, process, simulated. Default
    /// "docker,process", docker only when an engine answers; named explicitly, docker must answer.
    #[arg(long, env = "CORRAL_AGENT_CONTAINERIZERS")]
    pub containerizers: Option<String>,
    /// Resources offered, e.g. "cpus:2;mem:2048;disk:10000;ports:[31000-32000]"; what is not
    /// named is detected (cpus: cores, mem: total - 1 GB, disk: free - 5 GB, ports 31000-32000).
    #[arg(long, env = "CORRAL_AGENT_RESOURCES", default_value = "")]
    pub resources: String,
    /// Attributes, e.g. "rack:a;zone:west".
    #[arg(long, env = "CORRAL_AGENT_ATTRIBUTES", default_value = "")]
    pub attributes: String,
    #[arg(long, env = "CORRAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
    /// How often an unacknowledged status update is sent again, in milliseconds.
    #[arg(long, env = "CORRAL_AGENT_STATUS_RETRY_MS", default_value = "10000")]
    pub status_retry_ms: String,
    /// Run this many independent simulated agents in this process (needs `--containerizers
    /// simulated`); they share the HTTP port.
    #[arg(long, env = "CORRAL_AGENT_SIMULATED_AGENTS", default_value = "1")]
    pub simulated_agents: String,
    /// Stop every task when the agent is stopped (SIGTERM), instead of leaving them running for
    /// the next agent to recover: for clusters torn down with their agents (docker-compose down).
    #[arg(long, env = "CORRAL_AGENT_STOP_TASKS_ON_EXIT")]
    pub stop_tasks_on_exit: bool,
    /// Let Docker tasks have privileged containers (root on this host); without it they fail.
    #[arg(long, env = "CORRAL_DOCKER_ALLOW_PRIVILEGED")]
    pub docker_allow_privileged: bool,
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// Where the master is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MasterSource {
    /// The ensemble, and the election directory of the masters in it.
    Coordinator { addresses: CoordAddresses, leader_dir: String },
    /// A base URL, `http://host:port`.
    Fixed(String),
}

#[derive(Debug, Clone)]
pub struct AgentConfig {
    pub listen: SocketAddr,
    pub advertise_host: String,
    /// `None`: the port the listener gets.
    pub advertise_port: Option<u16>,
    pub master: MasterSource,
    pub work_dir: PathBuf,
    pub containerizers: Vec<ContainerizerKind>,
    /// False when docker is only there by default: the agent then goes on without it if no
    /// engine answers.
    pub docker_required: bool,
    pub resources: ResourceSet,
    pub attributes: Vec<Attribute>,
    pub status_retry: Duration,
    pub simulated_agents: usize,
    pub stop_tasks_on_exit: bool,
    pub docker_allow_privileged: bool,
    pub security: Security,
}

/// A flag with a value the agent cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct ConfigError {
    pub flag: &'static str,
    pub message: String,
}

fn invalid(flag: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError { flag, message: message.into() }
}

impl AgentConfig {
    /// Validates the flags; `host` and `hostname` describe this machine.
    pub fn from_flags(flags: &AgentFlags, host: HostMeasurements, hostname: &str) -> Result<Self, ConfigError> {
        let listen: SocketAddr =
            flags.listen.parse().map_err(|_| invalid("--listen", format!("`{}` is not IP:PORT", flags.listen)))?;
        let (advertise_host, advertise_port) = match &flags.advertise {
            Some(text) => {
                let (host, port) = corral_kit::parse_host_port(text).map_err(|error| invalid("--advertise", error))?;
                (host, Some(port))
            }
            None if listen.ip().is_unspecified() => (hostname.to_string(), nonzero(listen.port())),
            None => (listen.ip().to_string(), nonzero(listen.port())),
        };
        let security = flags.security.load().map_err(|error| invalid(error.flag, error.message))?;
        let scheme = security.client.scheme();
        let master = match (&flags.coordinator, &flags.master) {
            (Some(list), None) => MasterSource::Coordinator {
                addresses: CoordAddresses::parse_with_scheme(list, scheme)
                    .map_err(|e| invalid("--coordinator", e.to_string()))?,
                leader_dir: leader_dir(&flags.master_root)?,
            },
            (None, Some(url)) => MasterSource::Fixed(
                parse_master_url(url, scheme)
                    .ok_or_else(|| invalid("--master", format!("`{url}` is not http://HOST:PORT")))?,
            ),
            _ => return Err(invalid("--coordinator/--master", "give exactly one of --coordinator and --master")),
        };
        if flags.work_dir.as_os_str().is_empty() {
            return Err(invalid("--work-dir", "must not be empty"));
        }
        let containerizers = parse_containerizers(flags.containerizers.as_deref().unwrap_or(DEFAULT_CONTAINERIZERS))
            .map_err(|e| invalid("--containerizers", e))?;
        let resources = with_defaults(&flags.resources, host).map_err(|e| invalid("--resources", e.to_string()))?;
        let attributes = Attribute::parse_list(&flags.attributes).map_err(|e| invalid("--attributes", e))?;
        let status_retry = match flags.status_retry_ms.trim().parse::<u64>() {
            Ok(ms) if ms > 0 => Duration::from_millis(ms),
            _ => {
                return Err(invalid(
                    "--status-retry-ms",
                    format!("`{}` is not a positive number of milliseconds", flags.status_retry_ms),
                ))
            }
        };
        let simulated_agents = match flags.simulated_agents.trim().parse::<usize>() {
            Ok(count) if count > 0 => count,
            _ => {
                return Err(invalid(
                    "--simulated-agents",
                    format!("`{}` is not a positive count", flags.simulated_agents),
                ))
            }
        };
        if simulated_agents > 1 && containerizers != [ContainerizerKind::Simulated] {
            return Err(invalid(
                "--simulated-agents",
                "more than one agent per process needs --containerizers simulated",
            ));
        }
        Ok(AgentConfig {
            listen,
            advertise_host,
            advertise_port,
            master,
            work_dir: flags.work_dir.clone(),
            docker_required: flags.containerizers.is_some(),
            containerizers,
            resources,
            attributes,
            status_retry,
            simulated_agents,
            stop_tasks_on_exit: flags.stop_tasks_on_exit,
            docker_allow_privileged: flags.docker_allow_privileged,
            security,
        })
    }
}

const DEFAULT_CONTAINERIZERS: &str = "docker,process";

/// `<root>/leader`, for a root that is an absolute znode path.
fn leader_dir(root: &str) -> Result<String, ConfigError> {
    let root = root.trim().trim_end_matches('/');
    if !root.starts_with('/') || root.contains("//") {
        return Err(invalid("--master-root", format!("`{root}` is not an absolute znode path such as /corral/master")));
    }
    Ok(format!("{root}/leader"))
}

fn nonzero(port: u16) -> Option<u16> {
    (port != 0).then_some(port)
}

/// `http://host:port`, `http://host:port/` or `host:port` → `http://host:port`.
/// `http://HOST:PORT`, `https://HOST:PORT`, or `HOST:PORT` reached over `default_scheme`.
fn parse_master_url(text: &str, default_scheme: &str) -> Option<String> {
    let text = text.trim().trim_end_matches('/');
    let (scheme, rest) = text.split_once("://").unwrap_or((default_scheme, text));
    let (host, port) = corral_kit::parse_host_port(rest).ok()?;
    matches!(scheme, "http" | "https").then(|| format!("{scheme}://{host}:{port}"))
}

fn parse_containerizers(text: &str) -> Result<Vec<ContainerizerKind>, String> {
    let mut kinds = Vec::new();
    for name in text.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        let kind: ContainerizerKind = name.parse()?;
        if kinds.contains(&kind) {
            return Err(format!("`{name}` is listed twice"));
        }
        kinds.push(kind);
    }
    if kinds.is_empty() {
        return Err("name at least one of docker, process, simulated".into());
    }
    Ok(kinds)
}

#[cfg(test)]
mod tests;
