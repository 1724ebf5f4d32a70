//! The `process` containerizer: a task's command runs as `/bin/sh -c <value>` (or its program
//! and arguments when `shell` is false) in the sandbox, leading its own process group, with a
//! clean environment (a default `PATH` plus the task's variables) and its output in the sandbox
//! files `stdout` and `stderr`. Stopping signals the whole group, so children go too.
//!
//! After an agent restart a still-running task process is re-attached: it is no longer the
//! agent's child, so its end is noticed by polling `/proc` and its exit status is unknown (the
//! task then ends TASK_FAILED saying so, as Mesos does for an executor that ended while its agent
//! was away).

use std::fs::{File, OpenOptions};
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use corral_wire::mesos::{ContainerType, TaskInfo};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::Pid;
use tokio::sync::watch;

use super::{
    exit_of, task_environment, Container, ContainerHandle, Containerizer, ContainerizerKind, ExitOutcome, LaunchError,
    LaunchRequest, ProcessIdentity, Recovered,
};

/// What Mesos gives a command task that sets no PATH of its own.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// How often a re-attached process is looked for in `/proc`.
const REATTACHED_POLL: Duration = Duration::from_millis(500);

#[derive(Debug, Default)]
pub struct ProcessContainerizer;

#[async_trait]
impl Containerizer for ProcessContainerizer {
    fn kind(&self) -> ContainerizerKind {
        ContainerizerKind::Process
    }

    fn can_run(&self, task: &TaskInfo) -> bool {
        let docker = task.container.as_ref().is_some_and(|c| c.container_type == ContainerType::Docker);
        task.command.is_some() && !docker
    }

    async fn launch(&self, request: &LaunchRequest) -> Result<Box<dyn Container>, LaunchError> {
        let mut command = build_command(request)?;
        let mut child =
            command.spawn().map_err(|error| LaunchError::Failed(format!("cannot start the command: {error}")))?;
        let pid = child.id().ok_or_else(|| LaunchError::Failed("the command ended at once".into()))? as i32;
        // A process that already ended has no start time; it is reported by its exit below.
        let identity = ProcessIdentity::of(pid).unwrap_or(ProcessIdentity { pid, start_time: 0 });
        let (sender, exit) = watch::channel(None);
        tokio::spawn(async move {
            let outcome = match child.wait().await {
                Ok(status) => outcome_of(status),
                Err(error) => ExitOutcome::Vanished(format!("the agent lost track of the command: {error}")),
            };
            let _ = sender.send(Some(outcome));
        });
        Ok(Box::new(ProcessContainer { identity, exit }))
    }

    async fn recover(&self, _request: &LaunchRequest, handle: Option<&ContainerHandle>) -> Recovered {
        let identity = match handle {
            Some(ContainerHandle::Process { pid, start_time }) => {
                ProcessIdentity { pid: *pid, start_time: *start_time }
            }
            _ => return Recovered::Ended(ExitOutcome::Vanished("the agent restarted while launching the task".into())),
        };
        if !identity.is_alive() {
            let what = "the task's process ended while the agent was down; its exit status is unknown";
            return Recovered::Ended(ExitOutcome::Vanished(what.into()));
        }
        let (sender, exit) = watch::channel(None);
        tokio::spawn(async move {
            while identity.is_alive() {
                tokio::select! {
                    _ = sender.closed() => return,
                    _ = tokio::time::sleep(REATTACHED_POLL) => {}
                }
            }
            let what = "the task's process ended after an agent restart; its exit status is unknown";
            let _ = sender.send(Some(ExitOutcome::Vanished(what.into())));
        });
        Recovered::Running(Box::new(ProcessContainer { identity, exit }))
    }
}

fn build_command(request: &LaunchRequest) -> Result<tokio::process::Command, LaunchError> {
    let info = request.task.command.as_ref().ok_or_else(|| LaunchError::Invalid("the task has no command".into()))?;
    let value = info.value.as_deref().filter(|v| !v.is_empty());
    let mut command = match (info.is_shell(), value) {
        (true, Some(value)) => {
            let mut command = tokio::process::Command::new("/bin/sh");
            command.arg("-c").arg(value);
            command
        }
        (false, Some(program)) => {
            let mut command = tokio::process::Command::new(program);
            if let Some((argv0, rest)) = info.arguments.split_first() {
                command.arg0(argv0).args(rest);
            }
            command
        }
        (_, None) => return Err(LaunchError::Invalid("the task's command has no value to run".into())),
    };
    let sandbox = request.sandbox.to_string_lossy().into_owned();
    command
        .current_dir(&request.sandbox)
        .env_clear()
        .env("PATH", DEFAULT_PATH)
        .envs(task_environment(&request.task, &request.host, &sandbox))
        .stdin(Stdio::null())
        .stdout(output_file(&request.sandbox, "stdout")?)
        .stderr(output_file(&request.sandbox, "stderr")?)
        .process_group(0)
        .kill_on_drop(false);
    Ok(command)
}

fn output_file(sandbox: &Path, name: &str) -> Result<File, LaunchError> {
    let path = sandbox.join(name);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|error| LaunchError::Failed(format!("cannot open {}: {error}", path.display())))
}

fn outcome_of(status: ExitStatus) -> ExitOutcome {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitOutcome::Exited(code),
        (None, Some(signal)) => ExitOutcome::Signaled(signal),
        (None, None) => ExitOutcome::Vanished(format!("the command ended with {status}")),
    }
}

/// A task process and its group (pgid = pid).
struct ProcessContainer {
    identity: ProcessIdentity,
    exit: watch::Receiver<Option<ExitOutcome>>,
}

impl ProcessContainer {
    fn signal_group(&self, signal: Signal) {
        match killpg(Pid::from_raw(self.identity.pid), signal) {
            Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
            Err(error) => {
                tracing::warn!(message = "Cannot signal a task's process group.", pid = self.identity.pid, %signal, %error)
            }
        }
    }
}

#[async_trait]
impl Container for ProcessContainer {
    fn handle(&self) -> ContainerHandle {
        ContainerHandle::Process { pid: self.identity.pid, start_time: self.identity.start_time }
    }

    async fn wait(&self) -> ExitOutcome {
        exit_of(self.exit.clone(), "the agent stopped watching the task's process").await
    }

    async fn terminate(&self) {
        self.signal_group(Signal::SIGTERM);
    }

    async fn force_kill(&self) {
        self.signal_group(Signal::SIGKILL);
    }

    async fn cleanup(&self) {
        // The leader has ended; whatever it left behind in its group goes with it.
        self.signal_group(Signal::SIGKILL);
    }
}
