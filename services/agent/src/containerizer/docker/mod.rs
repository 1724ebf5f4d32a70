//! The `docker` containerizer, through bollard: one container per task, named and labelled for
//! this agent (`corral.agent_id`, `corral.task_id`, `corral.framework_id`), so that agents
//! sharing one engine each find, recover and remove only their own containers.
//!
//! Launch: refuse what the operator does not allow ([`policy`]: privileged containers without
//! `--docker-allow-privileged`), make sure the image is there (pulling only a missing one),
//! create the container from [`spec::container_config`], start it, follow its exit and copy its logs into the sandbox.
//! Stopping is SIGTERM, the grace period, then SIGKILL (what `docker stop` does); the container
//! is removed once it has ended. After an agent restart containers are found by label.

mod container;
mod image;
pub mod policy;
pub mod spec;

use std::collections::HashMap;
use std::path::Path;
use std::time::UNIX_EPOCH;

use async_trait::async_trait;
use bollard::container::{CreateContainerOptions, ListContainersOptions};
use bollard::models::ContainerSummary;
use bollard::Docker;
use corral_wire::mesos::{AgentId, ContainerType, TaskInfo};

use self::container::{exit_from_inspect, remove, DockerContainer};
pub use self::policy::DockerPolicy;
use self::spec::{LABEL_AGENT_ID, LABEL_TASK_ID};
use super::{
    Container, ContainerHandle, Containerizer, ContainerizerKind, ExitOutcome, LaunchError, LaunchRequest, Recovered,
};

/// The Docker engine could not be reached.
#[derive(Debug, thiserror::Error)]
pub enum DockerUnavailable {
    #[error("the Docker engine does not answer: {0}")]
    NoEngine(#[from] bollard::errors::Error),
}

#[derive(Debug, Clone)]
pub struct DockerContainerizer {
    docker: Docker,
    policy: DockerPolicy,
}

impl DockerContainerizer {
    /// Connects to the local engine (`DOCKER_HOST` or the Unix socket), agreeing on an API
    /// version both sides speak, and checks that it answers. Tasks will be held to `policy`.
    pub async fn connect(policy: DockerPolicy) -> Result<Self, DockerUnavailable> {
        let docker = Docker::connect_with_local_defaults()?.negotiate_version().await?;
        docker.ping().await?;
        Ok(DockerContainerizer { docker, policy })
    }

    /// Every container (running or not) labelled with this agent's id, and no other.
    async fn containers_of(&self, agent_id: &AgentId, task_id: Option<&str>) -> Vec<ContainerSummary> {
        let mut labels = vec![format!("{LABEL_AGENT_ID}={}", agent_id.value)];
        labels.extend(task_id.map(|task| format!("{LABEL_TASK_ID}={task}")));
        let filters = HashMap::from([("label".to_string(), labels)]);
        let options = ListContainersOptions { all: true, filters, ..Default::default() };
        match self.docker.list_containers(Some(options)).await {
            Ok(list) => list,
            Err(error) => {
                tracing::warn!(message = "Cannot list this agent's containers.", %agent_id, %error);
                Vec::new()
            }
        }
    }
}

#[async_trait]
impl Containerizer for DockerContainerizer {
    fn kind(&self) -> ContainerizerKind {
        ContainerizerKind::Docker
    }

    fn can_run(&self, task: &TaskInfo) -> bool {
        task.container.as_ref().is_some_and(|c| c.container_type == ContainerType::Docker && c.docker.is_some())
    }

    async fn launch(&self, request: &LaunchRequest) -> Result<Box<dyn Container>, LaunchError> {
        let docker_info = spec::docker_info(request).map_err(|error| LaunchError::Invalid(error.to_string()))?;
        policy::check(docker_info, self.policy).map_err(|refusal| LaunchError::Failed(refusal.to_string()))?;
        let config = spec::container_config(request).map_err(|error| LaunchError::Invalid(error.to_string()))?;
        image::ensure_image(&self.docker, &docker_info.image, docker_info.force_pull_image.unwrap_or(false)).await?;
        let name = spec::container_name(request);
        let options = CreateContainerOptions { name: name.clone(), platform: None };
        let created = self
            .docker
            .create_container(Some(options), config)
            .await
            .map_err(|error| LaunchError::Failed(format!("cannot create container {name}: {error}")))?;
        if let Err(error) = self.docker.start_container::<String>(&created.id, None).await {
            remove(&self.docker, &created.id).await;
            return Err(LaunchError::Failed(format!("cannot start container {name}: {error}")));
        }
        let container = DockerContainer::watch(self.docker.clone(), created.id, name, request.sandbox.clone(), 0);
        Ok(Box::new(container))
    }

    /// Finds the task's container by its labels (so even a container whose id was never
    /// checkpointed is found): a running one is watched again, an ended one reports its exit
    /// status and is removed.
    async fn recover(&self, request: &LaunchRequest, _handle: Option<&ContainerHandle>) -> Recovered {
        let found = self.containers_of(&request.agent_id, Some(&request.task.task_id.value)).await;
        let Some(summary) = found.into_iter().next() else {
            return Recovered::Ended(ExitOutcome::Vanished("the task's container is gone".into()));
        };
        let id = summary.id.unwrap_or_default();
        let name =
            summary.names.and_then(|n| n.into_iter().next()).unwrap_or_default().trim_start_matches('/').to_string();
        if summary.state.as_deref() == Some("running") {
            let since = logs_copied_until(&request.sandbox);
            return Recovered::Running(Box::new(DockerContainer::watch(
                self.docker.clone(),
                id,
                name,
                request.sandbox.clone(),
                since,
            )));
        }
        let outcome = exit_from_inspect(&self.docker, &id, "it ended while the agent was down").await;
        remove(&self.docker, &id).await;
        Recovered::Ended(outcome)
    }

    async fn remove_orphans(&self, agent_id: &AgentId, known: &[String]) {
        for summary in self.containers_of(agent_id, None).await {
            let task =
                summary.labels.as_ref().and_then(|labels| labels.get(LABEL_TASK_ID)).cloned().unwrap_or_default();
            if !known.contains(&task) {
                let id = summary.id.unwrap_or_default();
                tracing::info!(message = "Removing a container of a task this agent does not know.", container = %id, task = %task);
                remove(&self.docker, &id).await;
            }
        }
    }
}

/// Logs already in the sandbox reach back to the log files' last change, so copying resumes
/// from that second (a line may repeat, none is lost).
fn logs_copied_until(sandbox: &Path) -> i64 {
    ["stdout", "stderr"]
        .iter()
        .filter_map(|name| std::fs::metadata(sandbox.join(name)).and_then(|m| m.modified()).ok())
        .filter_map(|time| time.duration_since(UNIX_EPOCH).ok())
        .map(|since| since.as_secs() as i64)
        .max()
        .unwrap_or(0)
}
