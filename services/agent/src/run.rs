//! Composes a running agent process from a validated [`AgentConfig`]: connect the containerizers,
//! open the checkpoint, bind the HTTP port, create the agent (or the N agents of a simulated
//! fleet, each with its own slot in the checkpoint and its own master link), recover what the
//! checkpoint holds, start the master links and serve the API until Ctrl-C or SIGTERM.
//!
//! Stopping the agent leaves its tasks running: a restarted agent takes them back.

use std::sync::Arc;

use corral_coord_client::CoordClient;
use tokio::sync::watch;

use crate::agent::{Agent, AgentError, AgentSetup};
use crate::api::{self, ApiState};
use crate::checkpoint::{Checkpoint, CheckpointError, Durability};
use crate::config::{AgentConfig, MasterSource};
use crate::containerizer::docker::{DockerContainerizer, DockerPolicy, DockerUnavailable};
use crate::containerizer::process::ProcessContainerizer;
use crate::containerizer::simulated::SimulatedContainerizer;
use crate::containerizer::{Containerizer, ContainerizerKind, Containerizers};
use crate::master_link::{MasterLink, MasterLocator};
use crate::sandbox::SandboxRoot;

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("--containerizers names docker, but {0}")]
    Docker(#[from] DockerUnavailable),
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error("{0}")]
    Listen(std::io::Error),
    #[error("cannot recover agent {slot} from the checkpoint: {error}")]
    Recovery { slot: String, error: AgentError },
    #[error("the HTTP server failed: {0}")]
    Serve(std::io::Error),
}

/// How long `--stop-tasks-on-exit` waits for the tasks to end (their grace periods run meanwhile).
const STOP_TASKS_WITHIN: std::time::Duration = std::time::Duration::from_secs(20);

pub async fn run(config: AgentConfig) -> Result<(), RunError> {
    let docker_policy = DockerPolicy { allow_privileged: config.docker_allow_privileged };
    let containerizers = connect_containerizers(&config.containerizers, config.docker_required, docker_policy).await?;
    let fleet = config.simulated_agents > 1;
    if fleet {
        raise_open_files_limit();
    }
    let durability = if fleet { Durability::ProcessCrash } else { Durability::Full };
    let checkpoint = Checkpoint::open(&config.work_dir, durability).await?;
    let listener = corral_kit::bind(config.listen).await.map_err(RunError::Listen)?;
    let bound = listener.local_addr().map_err(RunError::Listen)?;
    let port = config.advertise_port.unwrap_or(bound.port());
    let sandboxes = SandboxRoot::new(&config.work_dir);

    let mut agents = Vec::with_capacity(config.simulated_agents);
    for slot in 0..config.simulated_agents {
        let slot = slot.to_string();
        let agent = Agent::new(AgentSetup {
            slot: slot.clone(),
            hostname: config.advertise_host.clone(),
            port,
            resources: config.resources.clone(),
            attributes: config.attributes.clone(),
            status_retry: config.status_retry,
            sandboxes: sandboxes.clone(),
            containerizers: containerizers.clone(),
            checkpoint: checkpoint.slot(&slot),
        });
        agent.recover().await.map_err(|error| RunError::Recovery { slot, error })?;
        agents.push(agent);
    }

    let locator = match &config.master {
        MasterSource::Coordinator { addresses, leader_dir } => {
            let client = CoordClient::with_security(addresses.clone(), &config.security.client);
            MasterLocator::discover(&client, leader_dir, config.security.client.scheme())
        }
        MasterSource::Fixed(url) => MasterLocator::Fixed(url.clone()),
    };
    let http = config.security.client.http_client();
    let (stop, stopped) = watch::channel(false);
    for agent in &agents {
        let link = MasterLink::new(agent.clone(), locator.clone(), http.clone());
        let mut stopped = stopped.clone();
        tokio::spawn(link.run(async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        }));
    }
    tracing::info!(
        message = "The agent runs.",
        listen = %bound,
        advertise = %format!("{}:{port}", config.advertise_host),
        agents = agents.len(),
        containerizers = ?containerizers.kinds(),
        resources = %config.resources,
    );
    let router = api::router(Arc::new(ApiState { agents: agents.clone(), sandboxes }), &config.security);
    let tls = config.security.server_tls.clone();
    let served = corral_kit::serve(listener, router, tls, corral_kit::shutdown_signal()).await;
    stop.send_replace(true);
    if config.stop_tasks_on_exit {
        for agent in &agents {
            agent.stop_all_tasks(STOP_TASKS_WITHIN).await;
        }
    }
    served.map_err(RunError::Serve)
}

async fn connect_containerizers(
    kinds: &[ContainerizerKind],
    docker_required: bool,
    docker_policy: DockerPolicy,
) -> Result<Containerizers, RunError> {
    let mut list: Vec<Arc<dyn Containerizer>> = Vec::new();
    for kind in kinds {
        match kind {
            ContainerizerKind::Docker => match DockerContainerizer::connect(docker_policy).await {
                Ok(docker) => list.push(Arc::new(docker)),
                Err(error) if docker_required => return Err(error.into()),
                Err(error) => tracing::warn!(message = "Running without the docker containerizer.", %error),
            },
            ContainerizerKind::Process => list.push(Arc::new(ProcessContainerizer::for_this_agent())),
            ContainerizerKind::Simulated => list.push(Arc::new(SimulatedContainerizer)),
        }
    }
    Ok(Containerizers::new(list))
}

/// A fleet holds a connection or two per agent: lift the soft limit on open files to the hard one.
fn raise_open_files_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            if let Err(error) = setrlimit(Resource::RLIMIT_NOFILE, hard, hard) {
                tracing::warn!(message = "Cannot raise the open files limit.", soft, hard, %error);
            }
        }
    }
}
