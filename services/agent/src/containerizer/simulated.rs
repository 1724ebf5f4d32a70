//! The `simulated` containerizer, for scale tests: any task "runs" without anything being run,
//! stays RUNNING, survives agent restarts, and ends only when it is killed. It costs one small
//! tokio task per task and no file but its (empty) sandbox.

use async_trait::async_trait;
use corral_wire::mesos::TaskInfo;
use tokio::sync::watch;

use super::{
    Container, ContainerHandle, Containerizer, ContainerizerKind, ExitOutcome, LaunchError, LaunchRequest, Recovered,
};

#[derive(Debug, Default)]
pub struct SimulatedContainerizer;

#[async_trait]
impl Containerizer for SimulatedContainerizer {
    fn kind(&self) -> ContainerizerKind {
        ContainerizerKind::Simulated
    }

    fn can_run(&self, _task: &TaskInfo) -> bool {
        true
    }

    async fn launch(&self, _request: &LaunchRequest) -> Result<Box<dyn Container>, LaunchError> {
        Ok(Box::new(SimulatedContainer::new()))
    }

    async fn recover(&self, _request: &LaunchRequest, _handle: Option<&ContainerHandle>) -> Recovered {
        Recovered::Running(Box::new(SimulatedContainer::new()))
    }
}

struct SimulatedContainer {
    stopped: watch::Sender<bool>,
}

impl SimulatedContainer {
    fn new() -> Self {
        SimulatedContainer { stopped: watch::channel(false).0 }
    }
}

#[async_trait]
impl Container for SimulatedContainer {
    fn handle(&self) -> ContainerHandle {
        ContainerHandle::Simulated
    }

    async fn wait(&self) -> ExitOutcome {
        let mut stopped = self.stopped.subscribe();
        let _ = stopped.wait_for(|stopped| *stopped).await;
        ExitOutcome::Stopped
    }

    async fn terminate(&self) {
        self.stopped.send_replace(true);
    }

    async fn force_kill(&self) {
        self.stopped.send_replace(true);
    }

    async fn cleanup(&self) {}
}
