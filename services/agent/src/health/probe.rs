//! One health check of one task: an HTTP GET to `127.0.0.1:<port><path>` (200-399 is healthy),
//! a TCP connect to `127.0.0.1:<port>`, or a command (`/bin/sh -c`) that must exit 0: inside the
//! container for a Docker task (`docker exec`), else on the host in the sandbox with the task's
//! environment. For a Docker task on BRIDGE networking the check's port is the container's,
//! reached through its mapped host port.

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;

use corral_wire::mesos::{DockerNetwork, HealthCheck, HealthCheckType, TaskInfo};

use crate::containerizer::{task_environment, Container, LaunchRequest};

#[derive(Clone)]
pub enum Probe {
    Http {
        url: String,
        client: reqwest::Client,
    },
    Tcp {
        address: String,
    },
    Command {
        command: String,
        sandbox: PathBuf,
        env: Vec<(String, String)>,
        /// The task's container, which may run the command inside itself.
        container: Option<Arc<dyn Container>>,
    },
}

impl Probe {
    pub fn of(
        check: &HealthCheck,
        request: &LaunchRequest,
        container: Option<Arc<dyn Container>>,
    ) -> Result<Self, String> {
        match check.check_type {
            HealthCheckType::Http => {
                let http = check.http.as_ref().ok_or("an HTTP health check without its `http` section")?;
                if http.scheme.as_deref().is_some_and(|scheme| scheme != "http") {
                    return Err(format!(
                        "{} health checks are not supported",
                        http.scheme.as_deref().unwrap_or_default()
                    ));
                }
                let path = http.path.as_deref().unwrap_or("/");
                let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
                let port = reachable_port(&request.task, http.port);
                Ok(Probe::Http { url: format!("http://127.0.0.1:{port}{path}"), client: corral_kit::http_client() })
            }
            HealthCheckType::Tcp => {
                let tcp = check.tcp.as_ref().ok_or("a TCP health check without its `tcp` section")?;
                Ok(Probe::Tcp { address: format!("127.0.0.1:{}", reachable_port(&request.task, tcp.port)) })
            }
            HealthCheckType::Command => {
                let command = check.command.as_ref().and_then(|c| c.command.value.clone());
                let command = command.ok_or("a COMMAND health check without a command")?;
                let sandbox = request.sandbox.clone();
                let env = task_environment(&request.task, &request.host, &sandbox.to_string_lossy());
                Ok(Probe::Command { command, sandbox, env, container })
            }
        }
    }

    /// Runs the check once; the caller bounds it with the check's timeout.
    pub async fn run(&self) -> Result<(), String> {
        match self {
            Probe::Http { url, client } => {
                let response = client.get(url).send().await.map_err(|error| format!("GET {url}: {error}"))?;
                let status = response.status().as_u16();
                match status {
                    200..=399 => Ok(()),
                    _ => Err(format!("GET {url} answered {status}")),
                }
            }
            Probe::Tcp { address } => tokio::net::TcpStream::connect(address)
                .await
                .map(drop)
                .map_err(|error| format!("connect {address}: {error}")),
            Probe::Command { command, sandbox, env, container } => {
                if let Some(inside) = container.as_ref() {
                    if let Some(result) = inside.run_check(command).await {
                        return result;
                    }
                }
                let status = tokio::process::Command::new("/bin/sh")
                    .arg("-c")
                    .arg(command)
                    .current_dir(sandbox)
                    .envs(env.iter().cloned())
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .kill_on_drop(true)
                    .status()
                    .await
                    .map_err(|error| format!("cannot run `{command}`: {error}"))?;
                match status.code() {
                    Some(0) => Ok(()),
                    _ => Err(format!("`{command}` {status}")),
                }
            }
        }
    }
}

/// The host port that reaches `port` of the task: its mapped host port for a Docker task on
/// BRIDGE networking that maps it, else `port` itself.
pub fn reachable_port(task: &TaskInfo, port: u32) -> u32 {
    let docker = task.container.as_ref().and_then(|c| c.docker.as_ref());
    docker
        .filter(|docker| docker.network == DockerNetwork::Bridge)
        .and_then(|docker| docker.port_mappings.iter().find(|m| m.container_port == port))
        .map_or(port, |mapping| mapping.host_port)
}
