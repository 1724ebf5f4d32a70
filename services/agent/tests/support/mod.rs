//! What the agent's integration tests share: a fake master, task builders, an in-process agent
//! on a temporary work dir, and waiting for a task's state.
#![allow(dead_code, unreachable_pub)]

pub mod fake_master;

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use corral_agent::agent::{Agent, AgentSetup, TaskView};
use corral_agent::checkpoint::{Checkpoint, Durability};
use corral_agent::containerizer::process::{ProcessContainerizer, ProcessIsolation};
use corral_agent::containerizer::{Containerizer, Containerizers};
use corral_wire::agent_api::AgentCommand;
use corral_wire::mesos::{
    AgentId, Capability, CommandInfo, FrameworkId, FrameworkInfo, Range, Resource, ResourceSet, TaskId, TaskInfo,
    TaskState,
};

pub const AGENT_ID: &str = "test-S1";
pub const FRAMEWORK_ID: &str = "test-0000";

/// How the agent binary isolates process tasks on this host, with `corral-agent` as the tasks'
/// launcher (detected once per test binary).
/// The agent binary with process tasks and a small port range, listening on `port`, following
/// the master at `master_url`, working in `work_dir` (its log there too), with `extra` flags.
pub fn spawn_agent(master_url: &str, work_dir: &Path, port: u16, extra: &[&str]) -> corral_testkit::ChildProcess {
    let listen = format!("127.0.0.1:{port}");
    let mut args: Vec<String> =
        ["--master", master_url, "--listen", &listen, "--work-dir"].iter().map(|arg| arg.to_string()).collect();
    args.push(work_dir.display().to_string());
    args.extend(
        ["--containerizers", "process", "--resources", "cpus:2;mem:1024;disk:100;ports:[31000-31010]"]
            .iter()
            .chain(extra)
            .map(|arg| arg.to_string()),
    );
    corral_testkit::ChildProcess::spawn(
        Path::new(env!("CARGO_BIN_EXE_corral-agent")),
        &args,
        &work_dir.join("agent.log"),
    )
}

pub fn process_isolation() -> ProcessIsolation {
    static DETECTED: std::sync::OnceLock<ProcessIsolation> = std::sync::OnceLock::new();
    DETECTED.get_or_init(|| ProcessIsolation::detect(env!("CARGO_BIN_EXE_corral-agent").into())).clone()
}

/// The process containerizer as the agent binary has it.
pub fn process_containerizer() -> ProcessContainerizer {
    ProcessContainerizer::new(process_isolation())
}

/// A task running `command` under `/bin/sh -c`, with the given host ports.
pub fn shell_task(id: &str, command: &str, ports: &[u64]) -> TaskInfo {
    let resources = vec![
        Resource::scalar("cpus", 0.1),
        Resource::scalar("mem", 32.0),
        Resource::ranges("ports", ports.iter().map(|&p| Range { begin: p, end: p }).collect()),
    ];
    let command = CommandInfo { value: Some(command.to_string()), ..Default::default() };
    TaskInfo::command_task(TaskId::new(id), AgentId::new(AGENT_ID), resources, command)
}

pub fn launch(task: TaskInfo) -> AgentCommand {
    launch_declaring(task, &[])
}

/// A launch for a framework that declared `capabilities` (such as `TASK_KILLING_STATE`).
pub fn launch_declaring(task: TaskInfo, capabilities: &[&str]) -> AgentCommand {
    let mut framework = framework_info();
    framework.capabilities = capabilities.iter().map(|capability| Capability::new(capability)).collect();
    AgentCommand::Launch {
        framework_id: FrameworkId::new(FRAMEWORK_ID),
        framework: Box::new(framework),
        task: Box::new(task),
    }
}

pub fn kill(task_id: &str) -> AgentCommand {
    AgentCommand::Kill {
        framework_id: FrameworkId::new(FRAMEWORK_ID),
        task_id: TaskId::new(task_id),
        kill_policy: None,
    }
}

fn framework_info() -> FrameworkInfo {
    serde_json::from_value(serde_json::json!({"user": "root", "name": "tests", "id": {"value": FRAMEWORK_ID}}))
        .expect("a valid FrameworkInfo")
}

/// An agent with the given containerizers on `work_dir`, registered as [`AGENT_ID`], its
/// checkpoint recovered. Nothing talks to a master: tests drive it with commands.
pub async fn agent_on(work_dir: &Path, containerizers: Vec<Arc<dyn Containerizer>>) -> Arc<Agent> {
    agent_named(work_dir, containerizers, AGENT_ID).await
}

/// [`agent_on`] with another agent id.
pub async fn agent_named(work_dir: &Path, containerizers: Vec<Arc<dyn Containerizer>>, agent_id: &str) -> Arc<Agent> {
    let checkpoint = Checkpoint::open(work_dir, Durability::Full).await.expect("checkpoint opens");
    let agent = Agent::new(AgentSetup {
        slot: "0".into(),
        hostname: "127.0.0.1".into(),
        port: 5051,
        resources: ResourceSet::parse("cpus:2;mem:1024;ports:[31000-31010]").unwrap(),
        attributes: vec![],
        status_retry: Duration::from_secs(10),
        sandboxes: corral_agent::sandbox::SandboxRoot::new(work_dir),
        containerizers: Containerizers::new(containerizers),
        checkpoint: checkpoint.slot("0"),
    });
    agent.recover().await.expect("recovery");
    agent.registered(&AgentId::new(agent_id), "http://master.invalid", "secret").await.expect("registered");
    agent
}

/// The task's view once `accept` holds for it.
pub async fn task_view(
    agent: &Agent,
    task_id: &str,
    what: &str,
    within: Duration,
    accept: impl Fn(&TaskView) -> bool,
) -> TaskView {
    corral_testkit::eventually(what, within, || async {
        let view = agent.view().await;
        view.tasks.iter().chain(view.completed.iter()).find(|t| t.task.task_id.value == task_id && accept(t)).cloned()
    })
    .await
}

/// Waits until the task's latest state is `state`.
pub async fn task_in_state(agent: &Agent, task_id: &str, state: TaskState, within: Duration) -> TaskView {
    task_view(agent, task_id, &format!("{task_id} to be {state:?}"), within, |t| t.latest.state == state).await
}

/// Whether a process with this pid exists (and is not a zombie).
pub fn process_alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            !matches!(stat.rsplit(')').next().and_then(|rest| rest.trim().chars().next()), Some('Z') | Some('X'))
        }
        Err(_) => false,
    }
}

/// Reads a pid a task wrote into its sandbox.
pub async fn pid_in(sandbox: &Path, file: &str) -> i32 {
    corral_testkit::eventually(&format!("{file} in the sandbox"), Duration::from_secs(10), || async {
        std::fs::read_to_string(sandbox.join(file)).ok().and_then(|text| text.trim().parse().ok())
    })
    .await
}
