//! Starting a process task through the launcher, `corral-agent launch-task`: the agent's own
//! binary, run in the task's new process, sets the process up and then execs the task's command
//! in its place (same pid, same process group). This is how the agent gets a child into its
//! cgroups, under its address-space limit and switched to its user before any of the task's code
//! runs, without `pre_exec` (the workspace forbids unsafe code).
//!
//! The agent hands the launcher a [`LaunchPlan`] as one JSON line over its stdin, a Unix socket.
//! The launcher keeps a close-on-exec copy of the socket, points stdin at `/dev/null`, then:
//! joins the task's cgroups, lowers RLIMIT_AS, sets the supplementary groups, the group and the
//! user, and execs. If any step fails it writes why on the socket and exits 127; if the exec
//! succeeds the socket closes with nothing written. So the agent reads to the end: nothing means
//! the command runs, anything else is why it could not start (as `std::process::Command` learns
//! of a failed exec).
//!
//! [`start`] is the agent's side, [`run`] the launcher's.

use std::convert::Infallible;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{ExitCode, Stdio};
use std::time::Duration;

use nix::sys::resource::{getrlimit, setrlimit, Resource};
use nix::unistd::{setgid, setgroups, setuid, Gid, Uid};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::task_user::TaskUser;

/// The first argument that makes `corral-agent` the launcher.
pub const LAUNCH_TASK: &str = "launch-task";
/// The launcher's exit status when it could not exec the command.
const LAUNCH_FAILED: u8 = 127;
/// How long the agent waits for the launcher to exec the command.
const LAUNCH_PATIENCE: Duration = Duration::from_secs(30);

/// What the launcher does before it becomes the task's command.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskSetup {
    /// `cgroup.procs` files to join.
    #[serde(default)]
    pub cgroup_procs: Vec<PathBuf>,
    /// RLIMIT_AS in bytes (soft and hard).
    #[serde(default)]
    pub address_space: Option<u64>,
    /// The user to become; `None`: stay the agent's user.
    #[serde(default)]
    pub user: Option<TaskUser>,
}

/// The command to exec.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TaskProgram {
    /// A path, or a name looked up in the task's `PATH`.
    pub program: String,
    #[serde(default)]
    pub argv0: Option<String>,
    #[serde(default)]
    pub args: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LaunchPlan {
    pub setup: TaskSetup,
    pub program: TaskProgram,
}

/// The agent could not start a task's command.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot make the launcher's channel: {0}")]
    Channel(std::io::Error),
    #[error("cannot start the launcher: {0}")]
    Spawn(std::io::Error),
    #[error("the launcher did not start the command within {0:?}")]
    Timeout(Duration),
    /// The launcher's own words.
    #[error("{0}")]
    Launcher(String),
}

/// Starts the launcher with `command` (the launcher's program, [`LAUNCH_TASK`], and the task's
/// directory, environment and output, all set by the caller) and hands it `plan`. Returns once
/// the task's command runs.
pub async fn start(
    mut command: tokio::process::Command,
    plan: &LaunchPlan,
) -> Result<tokio::process::Child, StartError> {
    let (ours, theirs) = UnixStream::pair().map_err(StartError::Channel)?;
    ours.set_nonblocking(true).map_err(StartError::Channel)?;
    let mut ours = tokio::net::UnixStream::from_std(ours).map_err(StartError::Channel)?;
    command.stdin(Stdio::from(OwnedFd::from(theirs)));
    let mut child = command.spawn().map_err(StartError::Spawn)?;
    // The command holds the launcher's end too: closed, the socket ends when the launcher's does.
    drop(command);
    let mut line = serde_json::to_vec(plan).expect("a launch plan serializes");
    line.push(b'\n');
    // A launcher that is gone already cannot read; what it left (or its exit) tells why.
    let _ = ours.write_all(&line).await;
    let _ = ours.shutdown().await;
    let mut reply = String::new();
    match tokio::time::timeout(LAUNCH_PATIENCE, ours.read_to_string(&mut reply)).await {
        Err(_) => {
            let _ = child.kill().await;
            Err(StartError::Timeout(LAUNCH_PATIENCE))
        }
        Ok(_) if reply.trim().is_empty() => Ok(child),
        Ok(_) => {
            let _ = child.wait().await;
            Err(StartError::Launcher(reply.trim().to_string()))
        }
    }
}

/// Why the launcher could not exec the command.
#[derive(Debug, thiserror::Error)]
enum LauncherError {
    #[error("the launch plan cannot be read: {0}")]
    Plan(String),
    #[error("cannot point stdin at /dev/null: {0}")]
    Stdin(String),
    #[error("cannot join cgroup {}: {source}", path.display())]
    JoinCgroup { path: PathBuf, source: std::io::Error },
    #[error("cannot limit the address space to {bytes} bytes: {source}")]
    AddressSpace { bytes: u64, source: nix::errno::Errno },
    #[error("cannot switch to user `{user}` ({step}): {source}")]
    User { user: String, step: &'static str, source: nix::errno::Errno },
    #[error("cannot run `{program}`: {source}")]
    Exec { program: String, source: std::io::Error },
}

/// `corral-agent launch-task`: reads the plan from stdin, sets up and execs; returns only if
/// that fails, after telling the agent (and the task's stderr) why.
pub fn run() -> ExitCode {
    let channel = match std::io::stdin().as_fd().try_clone_to_owned() {
        Ok(fd) => UnixStream::from(fd),
        Err(error) => {
            eprintln!("corral-agent {LAUNCH_TASK}: stdin is not the agent's launch channel: {error}");
            return ExitCode::from(LAUNCH_FAILED);
        }
    };
    let Err(error) = launch(&channel);
    let message = format!("{error}\n");
    let _ = (&channel).write_all(message.as_bytes());
    eprint!("corral-agent {LAUNCH_TASK}: {message}");
    ExitCode::from(LAUNCH_FAILED)
}

fn launch(channel: &UnixStream) -> Result<Infallible, LauncherError> {
    let mut line = String::new();
    BufReader::new(channel).read_line(&mut line).map_err(|error| LauncherError::Plan(error.to_string()))?;
    let plan: LaunchPlan = serde_json::from_str(&line).map_err(|error| LauncherError::Plan(error.to_string()))?;
    detach_stdin()?;
    apply(&plan.setup)?;
    let program = &plan.program;
    let mut command = std::process::Command::new(&program.program);
    if let Some(argv0) = &program.argv0 {
        command.arg0(argv0);
    }
    let source = command.args(&program.args).exec();
    Err(LauncherError::Exec { program: program.program.clone(), source })
}

/// The task's stdin is `/dev/null`, as before the launcher; the channel stays open (close-on-exec).
fn detach_stdin() -> Result<(), LauncherError> {
    let null = std::fs::File::open("/dev/null").map_err(|error| LauncherError::Stdin(error.to_string()))?;
    nix::unistd::dup2(null.as_raw_fd(), 0).map_err(|error| LauncherError::Stdin(error.to_string()))?;
    Ok(())
}

/// Joins the cgroups (while still allowed to), limits the address space, then gives up the
/// agent's user: supplementary groups, group, user, in that order (each needs the privilege the
/// next one drops).
fn apply(setup: &TaskSetup) -> Result<(), LauncherError> {
    let pid = std::process::id().to_string();
    for procs in &setup.cgroup_procs {
        std::fs::write(procs, &pid).map_err(|source| LauncherError::JoinCgroup { path: procs.clone(), source })?;
    }
    if let Some(bytes) = setup.address_space {
        let failed = |source| LauncherError::AddressSpace { bytes, source };
        let (_, hard) = getrlimit(Resource::RLIMIT_AS).map_err(failed)?;
        let limit = bytes.min(hard);
        setrlimit(Resource::RLIMIT_AS, limit, limit).map_err(failed)?;
    }
    if let Some(user) = &setup.user {
        let failed = |step| move |source| LauncherError::User { user: user.name.clone(), step, source };
        let groups: Vec<Gid> = user.groups.iter().map(|&gid| Gid::from_raw(gid)).collect();
        setgroups(&groups).map_err(failed("supplementary groups"))?;
        setgid(Gid::from_raw(user.gid)).map_err(failed("group"))?;
        setuid(Uid::from_raw(user.uid)).map_err(failed("user"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plan_survives_its_trip_as_one_line() {
        let plan = LaunchPlan {
            setup: TaskSetup {
                cgroup_procs: vec!["/sys/fs/cgroup/memory/corral-task-1/cgroup.procs".into()],
                address_space: Some(301_989_888),
                user: Some(TaskUser { name: "nobody".into(), uid: 65534, gid: 65534, groups: vec![65534] }),
            },
            program: TaskProgram {
                program: "/bin/sh".into(),
                argv0: None,
                args: vec!["-c".into(), "echo 'a\nb'".into()],
            },
        };
        let line = serde_json::to_string(&plan).unwrap();
        assert!(!line.contains('\n'), "{line}");
        assert_eq!(serde_json::from_str::<LaunchPlan>(&line).unwrap(), plan);
        let bare: LaunchPlan = serde_json::from_str(r#"{"setup": {}, "program": {"program": "true"}}"#).unwrap();
        assert_eq!(bare.setup, TaskSetup::default());
    }
}
