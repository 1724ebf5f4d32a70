//! The docker containerizer against the real engine, with the local image `corral/busybox:latest`
//! (built by `docker/build-images.sh`, offline). These tests run wherever an engine answers; with
//! none they print a loud notice and return, or fail when `CORRAL_REQUIRE_DOCKER=1`.

mod support;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use bollard::container::ListContainersOptions;
use bollard::Docker;
use corral_agent::containerizer::docker::{DockerContainerizer, DockerPolicy};
use corral_agent::containerizer::{Containerizer, ExitOutcome, LaunchError, LaunchRequest, Recovered};
use corral_testkit::{eventually, free_port};
use corral_wire::mesos::{AgentId, FrameworkId, TaskInfo, TaskState};
use support::{agent_named, kill, launch, shell_task, task_in_state};

const IMAGE: &str = "corral/busybox:latest";
const PATIENCE: Duration = Duration::from_secs(60);

/// The engine, with the test image built; `None` (after a loud notice) when no engine answers.
async fn engine() -> Option<DockerContainerizer> {
    match DockerContainerizer::connect(DockerPolicy::default()).await {
        Ok(docker) => {
            build_image_once();
            Some(docker)
        }
        Err(error) if std::env::var("CORRAL_REQUIRE_DOCKER").as_deref() == Ok("1") => {
            panic!("CORRAL_REQUIRE_DOCKER=1 but {error}")
        }
        Err(error) => {
            eprintln!("\n!!!! NOTICE: {error}: the Docker containerizer tests did NOT run. !!!!");
            eprintln!("!!!! Set CORRAL_REQUIRE_DOCKER=1 to make this a failure. !!!!\n");
            None
        }
    }
}

fn build_image_once() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let script = format!("{}/../../docker/build-images.sh", env!("CARGO_MANIFEST_DIR"));
        let output =
            std::process::Command::new("bash").arg(&script).arg("busybox").output().expect("run build-images.sh");
        assert!(output.status.success(), "{script} failed: {}", String::from_utf8_lossy(&output.stderr));
    });
}

/// An agent id of its own per test, so tests sharing the engine never meet.
fn agent_id(test: &str) -> String {
    format!("dockertest-{}-{test}", std::process::id())
}

fn docker_task(id: &str, command: Option<&str>, network: &str, mappings: &[(u16, u16)]) -> TaskInfo {
    let ports: Vec<u64> = mappings.iter().map(|&(host, _)| u64::from(host)).collect();
    let mut task = shell_task(id, command.unwrap_or(""), &ports);
    if command.is_none() {
        task.command = None;
    }
    let port_mappings: Vec<serde_json::Value> = mappings
        .iter()
        .map(
            |&(host, container)| serde_json::json!({"host_port": host, "container_port": container, "protocol": "tcp"}),
        )
        .collect();
    task.container = Some(
        serde_json::from_value(serde_json::json!({"type": "DOCKER", "docker": {"image": IMAGE, "network": network, "port_mappings": port_mappings}}))
            .unwrap(),
    );
    task
}

fn request(agent: &str, task: TaskInfo, sandbox: &Path) -> LaunchRequest {
    LaunchRequest {
        agent_id: AgentId::new(agent),
        framework_id: FrameworkId::new(support::FRAMEWORK_ID),
        task,
        sandbox: sandbox.to_path_buf(),
        host: "127.0.0.1".into(),
    }
}

/// The ids of every container (running or not) labelled with this agent id.
async fn containers_of(agent: &str) -> Vec<String> {
    let docker = Docker::connect_with_local_defaults().unwrap().negotiate_version().await.unwrap();
    let filters = HashMap::from([("label".to_string(), vec![format!("corral.agent_id={agent}")])]);
    let options = ListContainersOptions { all: true, filters, ..Default::default() };
    docker.list_containers(Some(options)).await.unwrap().into_iter().filter_map(|c| c.id).collect()
}

#[tokio::test]
async fn serves_http_on_a_bridge_port_and_the_kill_removes_the_container() {
    let Some(docker) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let id = agent_id("bridge");
    let agent = agent_named(dir.path(), vec![Arc::new(docker)], &id).await;
    let port = free_port();
    let command = "echo started; echo oops >&2; echo $PORT0 > $MESOS_SANDBOX/port; exec httpd -f -p 80 -h /www";
    agent.handle_command(launch(docker_task("web", Some(command), "BRIDGE", &[(port, 80)]))).await.unwrap();
    let running = task_in_state(&agent, "web", TaskState::TaskRunning, PATIENCE).await;

    let page = eventually("the page through the mapped port", PATIENCE, || async {
        reqwest::get(format!("http://127.0.0.1:{port}/")).await.ok()?.text().await.ok()
    })
    .await;
    assert!(page.contains("corral busybox"), "{page}");
    let sandbox = running.sandbox.clone();
    eventually("stdout and stderr in the sandbox", PATIENCE, || async {
        let out = std::fs::read_to_string(sandbox.join("stdout")).ok()?;
        let err = std::fs::read_to_string(sandbox.join("stderr")).ok()?;
        (out.contains("started") && err.contains("oops")).then_some(())
    })
    .await;
    assert_eq!(std::fs::read_to_string(sandbox.join("port")).unwrap().trim(), port.to_string());
    assert_eq!(containers_of(&id).await.len(), 1);

    agent.handle_command(kill("web")).await.unwrap();
    let killed = task_in_state(&agent, "web", TaskState::TaskKilled, PATIENCE).await;
    assert!(killed.latest.message.unwrap().contains("Killed"));
    assert!(containers_of(&id).await.is_empty(), "the container is removed");
}

#[tokio::test]
async fn exit_statuses_and_the_image_default_command() {
    let Some(docker) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let id = agent_id("exits");
    let agent = agent_named(dir.path(), vec![Arc::new(docker)], &id).await;
    agent.handle_command(launch(docker_task("ok", Some("echo done"), "HOST", &[]))).await.unwrap();
    agent.handle_command(launch(docker_task("bad", Some("exit 5"), "NONE", &[]))).await.unwrap();
    let finished = task_in_state(&agent, "ok", TaskState::TaskFinished, PATIENCE).await;
    assert_eq!(std::fs::read_to_string(finished.sandbox.join("stdout")).unwrap(), "done\n");
    let failed = task_in_state(&agent, "bad", TaskState::TaskFailed, PATIENCE).await;
    assert_eq!(failed.latest.message.as_deref(), Some("Command exited with status 5"));
    // No command: the image's own (`/bin/sh` with no input exits 0).
    agent.handle_command(launch(docker_task("default", None, "NONE", &[]))).await.unwrap();
    task_in_state(&agent, "default", TaskState::TaskFinished, PATIENCE).await;
    assert!(containers_of(&id).await.is_empty(), "ended containers are removed");
}

#[tokio::test]
async fn refusals_say_why() {
    let Some(docker) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let id = agent_id("refusals");
    let mut missing = docker_task("missing", Some("true"), "HOST", &[]);
    missing.container.as_mut().unwrap().docker.as_mut().unwrap().image = "corral/never-built:1".into();
    let error = docker.launch(&request(&id, missing, dir.path())).await.err().expect("no such image");
    assert!(
        matches!(&error, LaunchError::Failed(m) if m.contains("`corral/never-built:1` is not on this host and could not be pulled")),
        "{error:?}"
    );

    let mut stray = docker_task("stray", Some("true"), "BRIDGE", &[(31005, 80)]);
    stray.resources.retain(|r| r.name != "ports");
    let error = docker.launch(&request(&id, stray, dir.path())).await.err().expect("host port not offered");
    assert!(matches!(&error, LaunchError::Invalid(m) if m.contains("host port 31005")), "{error:?}");
    assert!(containers_of(&id).await.is_empty());
}

#[tokio::test]
async fn agents_sharing_the_engine_touch_only_their_own_containers() {
    let Some(docker) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let (mine, theirs) = (agent_id("mine"), agent_id("theirs"));
    let their_request = request(&theirs, docker_task("long", Some("exec sleep 300"), "NONE", &[]), dir.path());
    let their_container = docker.launch(&their_request).await.unwrap();
    assert_eq!(containers_of(&theirs).await.len(), 1);

    docker.remove_orphans(&AgentId::new(mine.clone()), &[]).await;
    assert_eq!(containers_of(&theirs).await.len(), 1, "another agent's container is left alone");
    let as_mine = LaunchRequest { agent_id: AgentId::new(mine), ..their_request.clone() };
    assert!(matches!(docker.recover(&as_mine, None).await, Recovered::Ended(_)), "nor is it found as mine");

    // Its own agent finds it by label, and removes it once it is an orphan.
    let Recovered::Running(found) = docker.recover(&their_request, None).await else { panic!("found by its labels") };
    assert_eq!(found.handle(), their_container.handle());
    docker.remove_orphans(&AgentId::new(theirs.clone()), &[]).await;
    assert!(containers_of(&theirs).await.is_empty());
    let ended = tokio::time::timeout(PATIENCE, found.wait()).await.expect("the watcher sees the end");
    assert!(matches!(ended, ExitOutcome::Exited(_) | ExitOutcome::Vanished(_)), "{ended:?}");
}

#[tokio::test]
async fn an_ended_container_is_reported_with_its_status_on_recovery() {
    let Some(docker) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let id = agent_id("recovery");
    let request = request(&id, docker_task("brief", Some("exit 6"), "NONE", &[]), dir.path());
    let container = docker.launch(&request).await.unwrap();
    assert_eq!(tokio::time::timeout(PATIENCE, container.wait()).await.unwrap(), ExitOutcome::Exited(6));
    // The agent "went down" before cleaning up: recovery reads the status and removes the container.
    let Recovered::Ended(outcome) = docker.recover(&request, Some(&container.handle())).await else {
        panic!("it ended")
    };
    assert_eq!(outcome, ExitOutcome::Exited(6));
    assert!(containers_of(&id).await.is_empty());
}

#[tokio::test]
async fn health_checks_reach_into_the_container() {
    let Some(docker) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let id = agent_id("health");
    let agent = agent_named(dir.path(), vec![Arc::new(docker)], &id).await;
    let timing = serde_json::json!({"delay_seconds": 0, "interval_seconds": 0.3, "grace_period_seconds": 30});
    let with_check = |mut task: TaskInfo, check: serde_json::Value| {
        let mut check = check;
        check.as_object_mut().unwrap().extend(timing.as_object().unwrap().clone());
        task.health_check = Some(serde_json::from_value(check).unwrap());
        task
    };
    // HTTP to the container's port 80, through the host port it is mapped to.
    let port = free_port();
    let web = docker_task("web", Some("exec httpd -f -p 80 -h /www"), "BRIDGE", &[(port, 80)]);
    let web = with_check(web, serde_json::json!({"type": "HTTP", "http": {"port": 80, "path": "/index.html"}}));
    // A command that can only succeed inside the container: the host has no /www/index.html.
    let inside = docker_task("inside", Some("exec sleep 300"), "NONE", &[]);
    let inside = with_check(
        inside,
        serde_json::json!({"type": "COMMAND", "command": {"command": {"value": "test -f /www/index.html"}}}),
    );
    agent.handle_command(launch(web)).await.unwrap();
    agent.handle_command(launch(inside)).await.unwrap();
    for task in ["web", "inside"] {
        let healthy =
            support::task_view(&agent, task, &format!("{task} healthy"), PATIENCE, |t| t.latest.healthy == Some(true))
                .await;
        assert_eq!(healthy.latest.state, TaskState::TaskRunning);
        agent.handle_command(kill(task)).await.unwrap();
        task_in_state(&agent, task, TaskState::TaskKilled, PATIENCE).await;
    }
    assert!(containers_of(&id).await.is_empty());
}

#[tokio::test]
async fn privileged_containers_need_the_agents_flag() {
    let Some(docker) = engine().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let id = agent_id("privileged");
    // Mounting needs CAP_SYS_ADMIN, which only a privileged container has.
    let privileged = |task_id: &str, privileged: bool| {
        let mut task = docker_task(task_id, Some("mount -t tmpfs none /mnt"), "HOST", &[]);
        task.container.as_mut().unwrap().docker.as_mut().unwrap().privileged = Some(privileged);
        task
    };
    let agent = agent_named(dir.path(), vec![Arc::new(docker)], &id).await;
    agent.handle_command(launch(privileged("refused", true))).await.unwrap();
    let refused = task_in_state(&agent, "refused", TaskState::TaskFailed, PATIENCE).await;
    let message = refused.latest.message.unwrap_or_default();
    assert!(message.contains("privileged container") && message.contains("--docker-allow-privileged"), "{message}");
    assert!(containers_of(&id).await.is_empty(), "no container was made");

    // With the flag the container goes to Docker as privileged; an engine that cannot give it
    // its capabilities (as in a sandboxed VM) refuses to start it, not the agent.
    let allowed = DockerContainerizer::connect(DockerPolicy { allow_privileged: true }).await.unwrap();
    match allowed.launch(&request(&id, privileged("allowed", true), dir.path())).await {
        Ok(container) => {
            let outcome = tokio::time::timeout(PATIENCE, container.wait()).await.expect("ends in time");
            container.cleanup().await;
            assert_eq!(outcome, ExitOutcome::Exited(0), "a privileged container can mount");
        }
        Err(LaunchError::Failed(message)) if message.contains("cannot start container") => {
            eprintln!("\n!!!! NOTICE: this Docker engine cannot run privileged containers: {message} !!!!\n");
        }
        Err(error) => panic!("with the flag the agent does not refuse: {error:?}"),
    }
    let plain = request(&id, privileged("plain", false), dir.path());
    let container = allowed.launch(&plain).await.expect("an ordinary container starts");
    let outcome = tokio::time::timeout(PATIENCE, container.wait()).await.expect("ends in time");
    container.cleanup().await;
    assert_ne!(outcome, ExitOutcome::Exited(0), "an ordinary container cannot mount");
    assert!(containers_of(&id).await.is_empty());
}
