//! Process tasks held to their resources and run as their user, with real processes started
//! through the real launcher (`corral-agent launch-task`):
//! - a task that allocates 1 GiB with `mem: 32` fails while another task on the agent keeps
//!   running, under whatever this host allows (cgroups, or RLIMIT_AS), and under RLIMIT_AS alone;
//! - a task with `cpus: 0.1` spinning gets about a tenth of a CPU (where the agent has cgroups);
//! - a task with a `user` runs as that user (when the agent is root), its health check too; an
//!   agent that is not root, or a user nobody knows, fails the task saying why.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_agent::containerizer::process::{LimitEnforcement, ProcessContainerizer, ProcessIsolation};
use corral_agent::containerizer::{Containerizer, ExitOutcome, LaunchRequest};
use corral_wire::mesos::{AgentId, FrameworkId, HealthCheck, TaskInfo, TaskState};
use support::{agent_on, kill, launch, pid_in, process_alive, process_isolation, shell_task, task_in_state, task_view};

const PATIENCE: Duration = Duration::from_secs(30);
/// Allocates (and touches: bytearray zero-fills) 1 GiB, then holds it.
const HOG: &str = "exec python3 -c 'b = bytearray(1 << 30); import time; time.sleep(60)'";

fn agent_with(isolation: ProcessIsolation) -> Vec<Arc<dyn Containerizer>> {
    vec![Arc::new(ProcessContainerizer::new(isolation))]
}

fn with_user(mut task: TaskInfo, user: &str) -> TaskInfo {
    task.command.as_mut().unwrap().user = Some(user.to_string());
    task
}

fn stderr_of(sandbox: &std::path::Path) -> String {
    std::fs::read_to_string(sandbox.join("stderr")).unwrap_or_default()
}

#[tokio::test]
async fn a_task_over_its_memory_fails_and_its_neighbour_keeps_running() {
    let dir = tempfile::tempdir().unwrap();
    let isolation = process_isolation();
    let cgroups = matches!(isolation.limits, LimitEnforcement::Cgroups(_));
    let agent = agent_on(dir.path(), agent_with(isolation)).await;
    agent.handle_command(launch(shell_task("steady", "echo $$ > steady.pid; exec sleep 300", &[]))).await.unwrap();
    let steady = task_in_state(&agent, "steady", TaskState::TaskRunning, PATIENCE).await;
    let steady_pid = pid_in(&steady.sandbox, "steady.pid").await;

    agent.handle_command(launch(shell_task("hog", HOG, &[]))).await.unwrap();
    let hog = task_in_state(&agent, "hog", TaskState::TaskFailed, PATIENCE).await;
    let message = hog.latest.message.clone().unwrap_or_default();
    if cgroups {
        assert!(message.contains("went over its memory limit of 32 MB"), "{message}");
    } else {
        assert!(stderr_of(&hog.sandbox).contains("MemoryError"), "{message}: {}", stderr_of(&hog.sandbox));
    }

    let neighbour = task_in_state(&agent, "steady", TaskState::TaskRunning, Duration::from_secs(1)).await;
    assert_eq!(neighbour.latest.state, TaskState::TaskRunning);
    assert!(process_alive(steady_pid), "the other task's process still runs");
    agent.handle_command(kill("steady")).await.unwrap();
    task_in_state(&agent, "steady", TaskState::TaskKilled, PATIENCE).await;
}

fn request(dir: &tempfile::TempDir, task: TaskInfo) -> LaunchRequest {
    LaunchRequest {
        agent_id: AgentId::new(support::AGENT_ID),
        framework_id: FrameworkId::new(support::FRAMEWORK_ID),
        task,
        sandbox: dir.path().to_path_buf(),
        host: "node9".into(),
    }
}

async fn run_to_end(containerizer: &ProcessContainerizer, dir: &tempfile::TempDir, command: &str) -> ExitOutcome {
    let container = containerizer.launch(&request(dir, shell_task("t", command, &[]))).await.expect("launches");
    let outcome = tokio::time::timeout(PATIENCE, container.wait()).await.expect("the task ends in time");
    container.cleanup().await;
    outcome
}

#[tokio::test]
async fn without_cgroups_the_address_space_is_limited() {
    let containerizer =
        ProcessContainerizer::new(ProcessIsolation { limits: LimitEnforcement::AddressSpace, ..process_isolation() });
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(run_to_end(&containerizer, &dir, HOG).await, ExitOutcome::Exited(1));
    assert!(stderr_of(dir.path()).contains("MemoryError"), "{}", stderr_of(dir.path()));
    // Past `mem` but inside the headroom (mem 32 MB: 288 MiB of address space): ordinary
    // programs map more than they use, so this much is let through.
    let modest = "exec python3 -c 'b = bytearray(64 << 20)'";
    assert_eq!(run_to_end(&containerizer, &dir, modest).await, ExitOutcome::Exited(0), "{}", stderr_of(dir.path()));
}

/// CPU time (user + system) of a process so far.
fn cpu_time(pid: i32) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("the process exists");
    let fields: Vec<u64> =
        stat.rsplit(')').next().unwrap().split_whitespace().skip(11).take(2).map(|f| f.parse().unwrap()).collect();
    let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK).unwrap().unwrap() as u64;
    Duration::from_millis((fields[0] + fields[1]) * 1000 / ticks)
}

#[tokio::test]
async fn a_spinning_task_gets_its_share_of_a_cpu() {
    let isolation = process_isolation();
    if !matches!(&isolation.limits, LimitEnforcement::Cgroups(parents) if parents.cpu.is_some()) {
        eprintln!("\n!!!! NOTICE: no cpu cgroup for process tasks here: CPU is not limited, nothing to check. !!!!\n");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let containerizer = ProcessContainerizer::new(isolation);
    // cpus: 0.1, so 10 ms of every 100 ms.
    let spin = "echo $$ > spin.pid; while :; do :; done";
    let container = containerizer.launch(&request(&dir, shell_task("spin", spin, &[]))).await.unwrap();
    let pid = pid_in(dir.path(), "spin.pid").await;
    let (start, used_before) = (Instant::now(), cpu_time(pid));
    tokio::time::sleep(Duration::from_secs(2)).await;
    let used = cpu_time(pid) - used_before;
    let elapsed = start.elapsed();
    container.force_kill().await;
    container.wait().await;
    container.cleanup().await;
    assert!(used > Duration::ZERO, "it ran");
    assert!(used < elapsed / 4, "a tenth of a CPU, not all of one: {used:?} of CPU in {elapsed:?}");
}

fn command_check(command: &str) -> HealthCheck {
    serde_json::from_value(serde_json::json!({
        "type": "COMMAND", "command": {"command": {"value": command}},
        "delay_seconds": 0, "interval_seconds": 0.2, "timeout_seconds": 5, "grace_period_seconds": 30,
        "consecutive_failures": 3
    }))
    .unwrap()
}

#[tokio::test]
async fn a_root_agent_runs_the_task_and_its_checks_as_the_tasks_user() {
    if !nix::unistd::geteuid().is_root() {
        eprintln!("\n!!!! NOTICE: the tests do not run as root: tasks cannot switch users, nothing to check. !!!!\n");
        return;
    }
    let nobody = nix::unistd::User::from_name("nobody").unwrap().expect("the user nobody exists");
    let (uid, gid) = (nobody.uid.as_raw(), nobody.gid.as_raw());
    let dir = tempfile::tempdir().unwrap();
    let agent = agent_on(dir.path(), agent_with(process_isolation())).await;
    let mut task =
        with_user(shell_task("as-nobody", "id -u; id -g; id -G; id -u > uid.txt; exec sleep 300", &[]), "nobody");
    task.health_check = Some(command_check(&format!("test \"$(id -u)\" = {uid}")));
    agent.handle_command(launch(task)).await.unwrap();
    let healthy = task_view(&agent, "as-nobody", "healthy", PATIENCE, |t| t.latest.healthy == Some(true)).await;
    let uid_file = healthy.sandbox.join("uid.txt");
    let written = corral_testkit::eventually("uid.txt", Duration::from_secs(10), || async {
        std::fs::read_to_string(&uid_file).ok()
    })
    .await;
    assert_eq!(written.trim(), uid.to_string(), "it wrote into its sandbox as nobody");
    let stdout = std::fs::read_to_string(healthy.sandbox.join("stdout")).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[..2], [uid.to_string(), gid.to_string()], "{stdout}");
    assert!(!lines[2].split(' ').any(|group| group == "0"), "no group of root is kept: {stdout}");
    agent.handle_command(kill("as-nobody")).await.unwrap();
    task_in_state(&agent, "as-nobody", TaskState::TaskKilled, PATIENCE).await;
}

#[tokio::test]
async fn users_the_agent_cannot_be_fail_the_task_saying_why() {
    let dir = tempfile::tempdir().unwrap();
    let mut isolation = process_isolation();
    if isolation.agent_uid == 0 {
        // As an agent that is not root sees it (only the agent's uid decides).
        isolation.agent_uid = 1000;
    }
    let agent = agent_on(dir.path(), agent_with(isolation)).await;
    agent.handle_command(launch(with_user(shell_task("as-nobody", "true", &[]), "nobody"))).await.unwrap();
    let refused = task_in_state(&agent, "as-nobody", TaskState::TaskFailed, PATIENCE).await;
    let message = refused.latest.message.unwrap_or_default();
    assert!(message.contains("task asks to run as `nobody` but the agent is not root"), "{message}");

    agent.handle_command(launch(with_user(shell_task("as-ghost", "true", &[]), "corral-ghost"))).await.unwrap();
    let unknown = task_in_state(&agent, "as-ghost", TaskState::TaskFailed, PATIENCE).await;
    let message = unknown.latest.message.unwrap_or_default();
    assert!(message.contains("`corral-ghost`, but there is no such user"), "{message}");
}
