//! The `process` containerizer: a task's command runs as `/bin/sh -c <value>` (or its program
//! and arguments when `shell` is false) in the sandbox, leading its own process group, with a
//! clean environment (a default `PATH` plus the task's variables) and its output in the sandbox
//! files `stdout` and `stderr`. Stopping signals the whole group, so children go too.
//!
//! Every task starts through the [`launcher`] (the agent's own binary), which before it execs
//! the command:
//! - puts the task in cgroups of its own ([`cgroups`]) with its `mem` as memory limit and its
//!   `cpus` as CPU quota ([`limits`]), when the agent can make cgroups on this host; otherwise
//!   limits each process's address space (RLIMIT_AS) and leaves CPU unlimited;
//! - switches to the task's user when the agent runs as root ([`task_user`]); the sandbox is
//!   given to that user first.
//!
//! A task that goes over its memory in a cgroup is ended by the kernel and reported as such. A
//! COMMAND health check of a process task runs the same way: as the task's user, in its cgroups.
//!
//! After an agent restart a still-running task process is re-attached: it is no longer the
//! agent's child, so its end is noticed by polling `/proc` and its exit status is unknown (the
//! task then ends TASK_FAILED saying so, as Mesos does for an executor that ended while its agent
//! was away).

pub mod cgroups;
pub mod launcher;
pub mod limits;
pub mod task_user;

use std::fs::{File, OpenOptions};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use async_trait::async_trait;
use corral_wire::mesos::{ContainerType, TaskInfo};
use nix::sys::signal::{killpg, Signal};
use nix::unistd::{Gid, Pid, Uid};
use tokio::sync::watch;

use self::cgroups::{CgroupParents, TaskCgroup};
use self::launcher::{LaunchPlan, TaskProgram, TaskSetup, LAUNCH_TASK};
use self::limits::TaskLimits;
use self::task_user::TaskUser;
use super::{
    exit_of, task_environment, Container, ContainerHandle, Containerizer, ContainerizerKind, ExitOutcome, LaunchError,
    LaunchRequest, ProcessIdentity, Recovered,
};
use crate::sandbox::path_component;

/// What Mesos gives a command task that sets no PATH of its own.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// How often a re-attached process is looked for in `/proc`.
const REATTACHED_POLL: Duration = Duration::from_millis(500);
/// The running agent's own binary; the kernel still finds it after the file was replaced.
pub const THIS_BINARY: &str = "/proc/self/exe";

/// How the agent holds process tasks to their `mem` and `cpus`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LimitEnforcement {
    /// Cgroups per task run, made under these parents: memory limit and CPU quota.
    Cgroups(CgroupParents),
    /// No cgroups: RLIMIT_AS per process (see [`limits`]); CPU is not limited.
    AddressSpace,
}

/// How process tasks are started and held on this agent.
#[derive(Debug, Clone)]
pub struct ProcessIsolation {
    /// A `corral-agent` binary, run as the [`launcher`] of each task.
    pub launcher: PathBuf,
    pub limits: LimitEnforcement,
    /// The agent's effective uid: only root runs tasks as other users.
    pub agent_uid: u32,
}

impl ProcessIsolation {
    /// Cgroups when this host lets the agent make them, else RLIMIT_AS; says which in the log.
    pub fn detect(launcher: PathBuf) -> Self {
        let limits = match cgroups::detect() {
            Ok(parents) => {
                parents.remove_leftovers();
                tracing::info!(
                    message = "Process tasks are held to their mem and cpus by cgroups.",
                    version = ?parents.version,
                    memory = %parents.memory.display(),
                    cpu = ?parents.cpu,
                );
                LimitEnforcement::Cgroups(parents)
            }
            Err(error) => {
                tracing::warn!(
                    message = "No cgroups for process tasks: each of their processes gets an address-space limit (RLIMIT_AS) from the task's mem, and CPU is not limited.",
                    %error,
                );
                LimitEnforcement::AddressSpace
            }
        };
        ProcessIsolation { launcher, limits, agent_uid: nix::unistd::geteuid().as_raw() }
    }
}

#[derive(Debug, Clone)]
pub struct ProcessContainerizer {
    isolation: ProcessIsolation,
}

impl ProcessContainerizer {
    pub fn new(isolation: ProcessIsolation) -> Self {
        ProcessContainerizer { isolation }
    }

    /// The agent's own: its binary launches the tasks, held as this host allows.
    pub fn for_this_agent() -> Self {
        Self::new(ProcessIsolation::detect(PathBuf::from(THIS_BINARY)))
    }

    /// The cgroups of the task's run (named after its sandbox), if the agent uses cgroups.
    fn cgroup_of(&self, request: &LaunchRequest) -> Option<TaskCgroup> {
        let LimitEnforcement::Cgroups(parents) = &self.isolation.limits else { return None };
        let run = request.sandbox.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
        Some(parents.task_group(&path_component(&run)))
    }

    /// How the task's processes start: its sandbox and environment, and the launcher's setup.
    fn task_process(
        &self,
        request: &LaunchRequest,
        cgroup: Option<&TaskCgroup>,
        limits: &TaskLimits,
        user: Option<TaskUser>,
    ) -> TaskProcess {
        let sandbox = request.sandbox.to_string_lossy().into_owned();
        let setup = TaskSetup {
            cgroup_procs: cgroup.map(TaskCgroup::procs_files).unwrap_or_default(),
            address_space: if cgroup.is_some() { None } else { limits.address_space() },
            user,
        };
        TaskProcess {
            launcher: self.isolation.launcher.clone(),
            setup,
            sandbox: request.sandbox.clone(),
            env: task_environment(&request.task, &request.host, &sandbox),
        }
    }
}

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
        let program = task_program(&request.task)?;
        let user = task_user::resolve(&request.task, self.isolation.agent_uid)
            .map_err(|error| LaunchError::Failed(error.to_string()))?;
        let stdout = output_file(&request.sandbox, "stdout")?;
        let stderr = output_file(&request.sandbox, "stderr")?;
        if let Some(user) = &user {
            hand_over_sandbox(&request.sandbox, user)?;
        }
        let limits = TaskLimits::of(&request.task);
        let cgroup = self.cgroup_of(request);
        if let Some(group) = &cgroup {
            group
                .create(&limits)
                .map_err(|error| LaunchError::Failed(format!("cannot set up the task's cgroup: {error}")))?;
        }
        let process = self.task_process(request, cgroup.as_ref(), &limits, user);
        let plan = process.plan(program);
        let child = match launcher::start(process.command(stdout.into(), stderr.into()), &plan).await {
            Ok(child) => child,
            Err(error) => {
                if let Some(group) = &cgroup {
                    group.remove().await;
                }
                return Err(LaunchError::Failed(error.to_string()));
            }
        };
        let pid = child.id().ok_or_else(|| LaunchError::Failed("the command ended at once".into()))? as i32;
        // A process that already ended has no start time; it is reported by its exit below.
        let identity = ProcessIdentity::of(pid).unwrap_or(ProcessIdentity { pid, start_time: 0 });
        let exit = watch_child(child, cgroup.clone(), limits);
        Ok(Box::new(ProcessContainer { identity, exit, cgroup, checks: Ok(process) }))
    }

    async fn recover(&self, request: &LaunchRequest, handle: Option<&ContainerHandle>) -> Recovered {
        let identity = match handle {
            Some(ContainerHandle::Process { pid, start_time }) => {
                ProcessIdentity { pid: *pid, start_time: *start_time }
            }
            _ => return Recovered::Ended(ExitOutcome::Vanished("the agent restarted while launching the task".into())),
        };
        let cgroup = self.cgroup_of(request);
        let limits = TaskLimits::of(&request.task);
        if !identity.is_alive() {
            let what = "the task's process ended while the agent was down; its exit status is unknown";
            let outcome = memory_verdict(ExitOutcome::Vanished(what.into()), cgroup.as_ref(), &limits);
            if let Some(group) = &cgroup {
                group.remove().await;
            }
            return Recovered::Ended(outcome);
        }
        let (sender, exit) = watch::channel(None);
        let watched = cgroup.clone();
        tokio::spawn(async move {
            while identity.is_alive() {
                tokio::select! {
                    _ = sender.closed() => return,
                    _ = tokio::time::sleep(REATTACHED_POLL) => {}
                }
            }
            let what = "the task's process ended after an agent restart; its exit status is unknown";
            let _ = sender.send(Some(memory_verdict(ExitOutcome::Vanished(what.into()), watched.as_ref(), &limits)));
        });
        let checks = task_user::resolve(&request.task, self.isolation.agent_uid)
            .map(|user| self.task_process(request, cgroup.as_ref(), &limits, user))
            .map_err(|error| error.to_string());
        Recovered::Running(Box::new(ProcessContainer { identity, exit, cgroup, checks }))
    }
}

/// Publishes how the task's process ended once it has.
fn watch_child(
    mut child: tokio::process::Child,
    cgroup: Option<TaskCgroup>,
    limits: TaskLimits,
) -> watch::Receiver<Option<ExitOutcome>> {
    let (sender, exit) = watch::channel(None);
    tokio::spawn(async move {
        let outcome = match child.wait().await {
            Ok(status) => outcome_of(status),
            Err(error) => ExitOutcome::Vanished(format!("the agent lost track of the command: {error}")),
        };
        let _ = sender.send(Some(memory_verdict(outcome, cgroup.as_ref(), &limits)));
    });
    exit
}

/// The program, its `argv[0]` and its arguments, as Mesos runs a command.
fn task_program(task: &TaskInfo) -> Result<TaskProgram, LaunchError> {
    let info = task.command.as_ref().ok_or_else(|| LaunchError::Invalid("the task has no command".into()))?;
    let value = info.value.as_deref().filter(|v| !v.is_empty());
    match (info.is_shell(), value) {
        (true, Some(value)) => Ok(shell(value)),
        (false, Some(program)) => {
            let (argv0, args) = match info.arguments.split_first() {
                Some((argv0, rest)) => (Some(argv0.clone()), rest.to_vec()),
                None => (None, Vec::new()),
            };
            Ok(TaskProgram { program: program.to_string(), argv0, args })
        }
        (_, None) => Err(LaunchError::Invalid("the task's command has no value to run".into())),
    }
}

fn shell(command: &str) -> TaskProgram {
    TaskProgram { program: "/bin/sh".into(), argv0: None, args: vec!["-c".into(), command.into()] }
}

fn output_file(sandbox: &Path, name: &str) -> Result<File, LaunchError> {
    let path = sandbox.join(name);
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|error| LaunchError::Failed(format!("cannot open {}: {error}", path.display())))
}

/// The sandbox and its output files belong to the task's user, who can then write there (as
/// Mesos does).
fn hand_over_sandbox(sandbox: &Path, user: &TaskUser) -> Result<(), LaunchError> {
    for path in [sandbox.to_path_buf(), sandbox.join("stdout"), sandbox.join("stderr")] {
        nix::unistd::chown(&path, Some(Uid::from_raw(user.uid)), Some(Gid::from_raw(user.gid))).map_err(|error| {
            LaunchError::Failed(format!("cannot give {} to user `{}`: {error}", path.display(), user.name))
        })?;
    }
    Ok(())
}

fn outcome_of(status: ExitStatus) -> ExitOutcome {
    match (status.code(), status.signal()) {
        (Some(code), _) => ExitOutcome::Exited(code),
        (None, Some(signal)) => ExitOutcome::Signaled(signal),
        (None, None) => ExitOutcome::Vanished(format!("the command ended with {status}")),
    }
}

/// How the task ended, told as going over its memory when the OOM killer ended any of its
/// processes.
fn memory_verdict(outcome: ExitOutcome, cgroup: Option<&TaskCgroup>, limits: &TaskLimits) -> ExitOutcome {
    let oom_kills = cgroup.map_or(0, TaskCgroup::oom_kills);
    outcome.with_oom_kills(oom_kills, limits.memory_mb())
}

/// How to start a process of the task: through the launcher, in its sandbox, with its
/// environment, set up as its command is.
#[derive(Debug, Clone)]
struct TaskProcess {
    launcher: PathBuf,
    setup: TaskSetup,
    sandbox: PathBuf,
    env: Vec<(String, String)>,
}

impl TaskProcess {
    fn command(&self, stdout: Stdio, stderr: Stdio) -> tokio::process::Command {
        let mut command = tokio::process::Command::new(&self.launcher);
        command
            .arg(LAUNCH_TASK)
            .current_dir(&self.sandbox)
            .env_clear()
            .env("PATH", DEFAULT_PATH)
            .envs(self.env.iter().cloned())
            .stdout(stdout)
            .stderr(stderr)
            .process_group(0)
            .kill_on_drop(false);
        command
    }

    fn plan(&self, program: TaskProgram) -> LaunchPlan {
        LaunchPlan { setup: self.setup.clone(), program }
    }

    /// Runs a COMMAND health check as the task runs: its user, its cgroups, its sandbox.
    async fn check(&self, command: &str) -> Result<(), String> {
        let mut launcher = self.command(Stdio::null(), Stdio::null());
        launcher.kill_on_drop(true);
        let mut child = launcher::start(launcher, &self.plan(shell(command)))
            .await
            .map_err(|error| format!("cannot run `{command}`: {error}"))?;
        let status = child.wait().await.map_err(|error| format!("cannot run `{command}`: {error}"))?;
        match status.code() {
            Some(0) => Ok(()),
            _ => Err(format!("`{command}` {status}")),
        }
    }
}

/// A task process and its group (pgid = pid), and its cgroups if it has any.
struct ProcessContainer {
    identity: ProcessIdentity,
    exit: watch::Receiver<Option<ExitOutcome>>,
    cgroup: Option<TaskCgroup>,
    /// How its health checks start, or why they cannot.
    checks: Result<TaskProcess, String>,
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
        // The leader has ended; whatever it left behind in its group, or in its cgroups, goes with it.
        self.signal_group(Signal::SIGKILL);
        if let Some(group) = &self.cgroup {
            group.remove().await;
        }
    }

    async fn run_check(&self, command: &str) -> Option<Result<(), String>> {
        Some(match &self.checks {
            Ok(process) => process.check(command).await,
            Err(why) => Err(format!("cannot run `{command}`: {why}")),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use corral_wire::mesos::{AgentId, CommandInfo, TaskId};

    fn program(command: CommandInfo) -> Result<TaskProgram, LaunchError> {
        task_program(&TaskInfo::command_task(TaskId::new("t"), AgentId::new("a"), vec![], command))
    }

    #[test]
    fn commands_become_programs_as_in_mesos() {
        let shell_command = CommandInfo { value: Some("echo hi".into()), ..Default::default() };
        assert_eq!(program(shell_command).unwrap(), shell("echo hi"));
        let argv = CommandInfo {
            value: Some("/bin/sh".into()),
            shell: Some(false),
            arguments: vec!["sh".into(), "-c".into(), "exit 7".into()],
            ..Default::default()
        };
        let expected = TaskProgram {
            program: "/bin/sh".into(),
            argv0: Some("sh".into()),
            args: vec!["-c".into(), "exit 7".into()],
        };
        assert_eq!(program(argv).unwrap(), expected);
        let bare = CommandInfo { value: Some("/bin/true".into()), shell: Some(false), ..Default::default() };
        assert_eq!(program(bare).unwrap().argv0, None);
        assert!(matches!(program(CommandInfo::default()), Err(LaunchError::Invalid(_))));
    }
}
