//! One task's Docker container once it runs: a watcher that waits for its exit, a copier that
//! appends its log streams to the sandbox files `stdout` and `stderr`, and the stop, kill and
//! remove calls.

use std::path::{Path, PathBuf};
use std::time::Duration;

use async_trait::async_trait;
use bollard::container::{KillContainerOptions, LogOutput, LogsOptions, RemoveContainerOptions, WaitContainerOptions};
use bollard::errors::Error as DockerError;
use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::Docker;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;
use tokio::sync::watch;

use crate::containerizer::{exit_of, Container, ContainerHandle, ExitOutcome};

/// How long the log copier may lag behind the container's exit before the exit is reported.
const LOG_DRAIN: Duration = Duration::from_secs(3);

pub(super) struct DockerContainer {
    docker: Docker,
    id: String,
    name: String,
    exit: watch::Receiver<Option<ExitOutcome>>,
}

impl DockerContainer {
    /// Starts watching a started container; logs are copied from `logs_since` (Unix seconds, 0
    /// for all).
    pub(super) fn watch(docker: Docker, id: String, name: String, sandbox: PathBuf, logs_since: i64) -> Self {
        let (sender, exit) = watch::channel(None);
        let copier = tokio::spawn(copy_logs(docker.clone(), id.clone(), sandbox, logs_since));
        let (watcher_docker, watcher_id) = (docker.clone(), id.clone());
        tokio::spawn(async move {
            let outcome = wait_for_exit(&watcher_docker, &watcher_id).await;
            let _ = tokio::time::timeout(LOG_DRAIN, copier).await;
            let _ = sender.send(Some(outcome));
        });
        DockerContainer { docker, id, name, exit }
    }

    async fn signal(&self, signal: &str) {
        let options = KillContainerOptions { signal: signal.to_string() };
        match self.docker.kill_container(&self.id, Some(options)).await {
            Ok(()) => {}
            // 404: gone; 409: not running. Either way nothing is left to signal.
            Err(DockerError::DockerResponseServerError { status_code: 404 | 409, .. }) => {}
            Err(error) => {
                tracing::warn!(message = "Cannot signal a container.", container = %self.name, signal, %error)
            }
        }
    }
}

async fn wait_for_exit(docker: &Docker, id: &str) -> ExitOutcome {
    let options = WaitContainerOptions { condition: "not-running".to_string() };
    let mut waits = docker.wait_container(id, Some(options));
    match waits.next().await {
        Some(Ok(response)) => ExitOutcome::Exited(response.status_code as i32),
        Some(Err(DockerError::DockerContainerWaitError { code, .. })) => ExitOutcome::Exited(code as i32),
        Some(Err(error)) => exit_from_inspect(docker, id, &error.to_string()).await,
        None => exit_from_inspect(docker, id, "the wait ended without an answer").await,
    }
}

/// When waiting failed, the container's recorded state may still tell how it ended.
pub(super) async fn exit_from_inspect(docker: &Docker, id: &str, why: &str) -> ExitOutcome {
    match docker.inspect_container(id, None).await {
        Ok(inspect) => match inspect.state.and_then(|state| state.exit_code) {
            Some(code) => ExitOutcome::Exited(code as i32),
            None => ExitOutcome::Vanished(format!("the container ended and its exit status is unknown ({why})")),
        },
        Err(error) => ExitOutcome::Vanished(format!("the container is gone ({why}; {error})")),
    }
}

async fn copy_logs(docker: Docker, id: String, sandbox: PathBuf, since: i64) {
    let (mut stdout, mut stderr) = match (open_log(&sandbox, "stdout").await, open_log(&sandbox, "stderr").await) {
        (Ok(out), Ok(err)) => (out, err),
        (Err(error), _) | (_, Err(error)) => {
            tracing::warn!(message = "Cannot open the sandbox log files.", sandbox = %sandbox.display(), %error);
            return;
        }
    };
    let options = LogsOptions::<String> { follow: true, stdout: true, stderr: true, since, ..Default::default() };
    let mut logs = docker.logs(&id, Some(options));
    while let Some(item) = logs.next().await {
        let written = match item {
            Ok(LogOutput::StdOut { message } | LogOutput::Console { message }) => stdout.write_all(&message).await,
            Ok(LogOutput::StdErr { message }) => stderr.write_all(&message).await,
            Ok(LogOutput::StdIn { .. }) => Ok(()),
            Err(error) => {
                tracing::debug!(message = "The container's log stream ended.", container = %id, %error);
                break;
            }
        };
        if let Err(error) = written {
            tracing::warn!(message = "Cannot write a container's logs.", container = %id, %error);
            break;
        }
    }
    let _ = stdout.flush().await;
    let _ = stderr.flush().await;
}

async fn open_log(sandbox: &Path, name: &str) -> std::io::Result<tokio::fs::File> {
    tokio::fs::OpenOptions::new().create(true).append(true).open(sandbox.join(name)).await
}

#[async_trait]
impl Container for DockerContainer {
    fn handle(&self) -> ContainerHandle {
        ContainerHandle::Docker { container_id: self.id.clone(), name: self.name.clone() }
    }

    async fn wait(&self) -> ExitOutcome {
        exit_of(self.exit.clone(), "the agent stopped watching the container").await
    }

    async fn terminate(&self) {
        self.signal("SIGTERM").await;
    }

    async fn force_kill(&self) {
        self.signal("SIGKILL").await;
    }

    async fn cleanup(&self) {
        remove(&self.docker, &self.id).await;
    }

    async fn run_check(&self, command: &str) -> Option<Result<(), String>> {
        Some(exec_check(&self.docker, &self.id, command).await)
    }
}

/// `docker exec <container> /bin/sh -c <command>`: healthy when it exits 0.
async fn exec_check(docker: &Docker, id: &str, command: &str) -> Result<(), String> {
    let failed = |error: DockerError| format!("cannot run `{command}` in the container: {error}");
    let options = CreateExecOptions {
        cmd: Some(vec!["/bin/sh".to_string(), "-c".to_string(), command.to_string()]),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let exec = docker.create_exec(id, options).await.map_err(failed)?;
    if let StartExecResults::Attached { mut output, .. } = docker.start_exec(&exec.id, None).await.map_err(failed)? {
        while output.next().await.is_some() {}
    }
    match docker.inspect_exec(&exec.id).await.map_err(failed)?.exit_code {
        Some(0) => Ok(()),
        Some(code) => Err(format!("`{command}` exited with status {code}")),
        None => Err(format!("`{command}` did not report an exit status")),
    }
}

/// Removes a container, running or not; one already gone is fine.
pub(super) async fn remove(docker: &Docker, id: &str) {
    let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
    match docker.remove_container(id, Some(options)).await {
        Ok(()) | Err(DockerError::DockerResponseServerError { status_code: 404, .. }) => {}
        Err(error) => tracing::warn!(message = "Cannot remove a container.", container = %id, %error),
    }
}
