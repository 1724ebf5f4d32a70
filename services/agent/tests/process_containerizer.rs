//! The process containerizer with real processes: exit statuses, the environment, SIGTERM to the
//! whole process group, SIGKILL for a task that ignores SIGTERM, and finding a process again
//! from its checkpointed handle.

mod support;

use std::time::Duration;

use corral_agent::containerizer::{Container, ContainerHandle, Containerizer, ExitOutcome, LaunchRequest, Recovered};
use corral_wire::mesos::{AgentId, CommandInfo, FrameworkId};
use support::{pid_in, process_alive, process_containerizer, shell_task};

fn request(dir: &tempfile::TempDir, command: &str, ports: &[u64]) -> LaunchRequest {
    LaunchRequest {
        agent_id: AgentId::new(support::AGENT_ID),
        framework_id: FrameworkId::new(support::FRAMEWORK_ID),
        task: shell_task("t1", command, ports),
        sandbox: dir.path().to_path_buf(),
        host: "node9".into(),
    }
}

async fn launch(dir: &tempfile::TempDir, command: &str) -> Box<dyn Container> {
    process_containerizer().launch(&request(dir, command, &[])).await.expect("launches")
}

async fn wait(container: &dyn Container) -> ExitOutcome {
    tokio::time::timeout(Duration::from_secs(20), container.wait()).await.expect("the process ends in time")
}

/// Waits for the end and releases what is left (the task's cgroups), as the agent does.
async fn finish(container: Box<dyn Container>) -> ExitOutcome {
    let outcome = wait(container.as_ref()).await;
    container.cleanup().await;
    outcome
}

#[tokio::test]
async fn exit_statuses_and_output_files() {
    let dir = tempfile::tempdir().unwrap();
    let ok = launch(&dir, "echo out; echo err >&2").await;
    assert_eq!(wait(ok.as_ref()).await, ExitOutcome::Exited(0));
    assert_eq!(std::fs::read_to_string(dir.path().join("stdout")).unwrap(), "out\n");
    assert_eq!(std::fs::read_to_string(dir.path().join("stderr")).unwrap(), "err\n");
    assert_eq!(finish(launch(&dir, "exit 3").await).await, ExitOutcome::Exited(3));
    assert_eq!(finish(launch(&dir, "kill -SEGV $$").await).await, ExitOutcome::Signaled(11));
    // Waiting again (another caller) gives the same answer.
    assert_eq!(finish(ok).await, ExitOutcome::Exited(0));
}

#[tokio::test]
async fn the_task_sees_its_ports_sandbox_and_environment() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = request(
        &dir,
        "echo \"$PORT0 $PORT1 $PORT $PORTS $HOST $MESOS_TASK_ID $GREETING $(pwd)\" > env.txt",
        &[31004, 31007],
    );
    let command = request.task.command.as_mut().unwrap();
    command.environment =
        Some(serde_json::from_value(serde_json::json!({"variables": [{"name": "GREETING", "value": "hi"}]})).unwrap());
    let container = process_containerizer().launch(&request).await.unwrap();
    assert_eq!(wait(container.as_ref()).await, ExitOutcome::Exited(0));
    let env = std::fs::read_to_string(dir.path().join("env.txt")).unwrap();
    let sandbox = dir.path().canonicalize().unwrap();
    assert_eq!(env.trim(), format!("31004 31007 31004 31004,31007 node9 t1 hi {}", sandbox.display()));
    container.cleanup().await;
}

#[tokio::test]
async fn program_and_arguments_without_a_shell() {
    let dir = tempfile::tempdir().unwrap();
    let mut request = request(&dir, "", &[]);
    request.task.command = Some(CommandInfo {
        value: Some("/bin/sh".into()),
        shell: Some(false),
        arguments: vec!["sh".into(), "-c".into(), "exit 7".into()],
        ..Default::default()
    });
    let container = process_containerizer().launch(&request).await.unwrap();
    assert_eq!(finish(container).await, ExitOutcome::Exited(7));
}

#[tokio::test]
async fn terminate_stops_the_whole_process_group() {
    let dir = tempfile::tempdir().unwrap();
    let container = launch(&dir, "sleep 300 & echo $! > child.pid; echo $$ > leader.pid; wait").await;
    let child = pid_in(dir.path(), "child.pid").await;
    let leader = pid_in(dir.path(), "leader.pid").await;
    assert!(process_alive(child) && process_alive(leader));
    assert_eq!(container.handle(), ContainerHandle::Process { pid: leader, start_time: start_time(leader) });
    container.terminate().await;
    assert_eq!(wait(container.as_ref()).await, ExitOutcome::Signaled(15));
    support_eventually_dead(child).await;
    container.cleanup().await;
}

#[tokio::test]
async fn force_kill_ends_a_task_that_ignores_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let container = launch(&dir, "trap '' TERM; echo $$ > leader.pid; while true; do sleep 0.1; done").await;
    let leader = pid_in(dir.path(), "leader.pid").await;
    container.terminate().await;
    let ignored = tokio::time::timeout(Duration::from_millis(700), container.wait()).await;
    assert!(ignored.is_err(), "SIGTERM is ignored: {ignored:?}");
    assert!(process_alive(leader));
    container.force_kill().await;
    assert_eq!(finish(container).await, ExitOutcome::Signaled(9));
}

#[tokio::test]
async fn a_live_process_is_found_again_from_its_handle() {
    let dir = tempfile::tempdir().unwrap();
    let request = request(&dir, "echo $$ > leader.pid; exec sleep 300", &[]);
    let original = process_containerizer().launch(&request).await.unwrap();
    let leader = pid_in(dir.path(), "leader.pid").await;
    let handle = original.handle();

    let Recovered::Running(found) = process_containerizer().recover(&request, Some(&handle)).await else {
        panic!("the live process is found");
    };
    assert_eq!(found.handle(), handle);
    found.terminate().await;
    // Not the agent's child once re-attached: its end is seen, its exit status is not known.
    let ended = wait(found.as_ref()).await;
    assert!(matches!(&ended, ExitOutcome::Vanished(why) if why.contains("unknown")), "{ended:?}");
    support_eventually_dead(leader).await;

    let Recovered::Ended(gone) = process_containerizer().recover(&request, Some(&handle)).await else {
        panic!("a process that ended is not found");
    };
    assert!(matches!(&gone, ExitOutcome::Vanished(why) if why.contains("while the agent was down")), "{gone:?}");
    let me = std::process::id() as i32;
    let impostor = ContainerHandle::Process { pid: me, start_time: start_time(me) + 1 };
    assert!(
        matches!(process_containerizer().recover(&request, Some(&impostor)).await, Recovered::Ended(_)),
        "a reused pid is not the task"
    );
    assert!(
        matches!(process_containerizer().recover(&request, None).await, Recovered::Ended(_)),
        "no handle, nothing to find"
    );
}

fn start_time(pid: i32) -> u64 {
    corral_agent::containerizer::ProcessIdentity::of(pid).unwrap().start_time
}

async fn support_eventually_dead(pid: i32) {
    corral_testkit::eventually(&format!("process {pid} to be gone"), Duration::from_secs(10), || async {
        (!process_alive(pid)).then_some(())
    })
    .await
}
