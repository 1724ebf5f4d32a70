//! Health checks against real local servers: the probes one at a time, then a task whose HTTP
//! check turns healthy, unhealthy, and gets it killed after its consecutive failures.

mod support;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::http::StatusCode;
use corral_agent::containerizer::LaunchRequest;
use corral_agent::health::{reachable_port, Probe};
use corral_wire::mesos::{AgentId, FrameworkId, HealthCheck, TaskState};
use support::{agent_on, launch, shell_task, task_in_state, task_view};

/// An HTTP server on 127.0.0.1 answering every GET with the status held in the returned cell.
async fn http_server() -> (u16, Arc<AtomicU16>) {
    let status = Arc::new(AtomicU16::new(200));
    let answer = status.clone();
    let router = axum::Router::new().fallback(move || {
        let answer = answer.clone();
        async move { StatusCode::from_u16(answer.load(Ordering::SeqCst)).unwrap() }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (port, status)
}

fn check(json: serde_json::Value) -> HealthCheck {
    serde_json::from_value(json).unwrap()
}

fn request(dir: &tempfile::TempDir) -> LaunchRequest {
    LaunchRequest {
        agent_id: AgentId::new(support::AGENT_ID),
        framework_id: FrameworkId::new(support::FRAMEWORK_ID),
        task: shell_task("t", "true", &[]),
        sandbox: dir.path().to_path_buf(),
        host: "127.0.0.1".into(),
    }
}

#[tokio::test]
async fn http_probes_take_200_to_399_as_healthy() {
    let dir = tempfile::tempdir().unwrap();
    let (port, status) = http_server().await;
    let probe = Probe::of(
        &check(serde_json::json!({"type": "HTTP", "http": {"port": port, "path": "/ping"}})),
        &request(&dir),
        None,
    )
    .unwrap();
    for (answer, healthy) in [(200, true), (302, true), (399, true), (404, false), (500, false)] {
        status.store(answer, Ordering::SeqCst);
        assert_eq!(probe.run().await.is_ok(), healthy, "answer {answer}");
    }
    let https = check(serde_json::json!({"type": "HTTP", "http": {"port": port, "scheme": "https"}}));
    assert!(Probe::of(&https, &request(&dir), None).err().unwrap().contains("https"));
}

#[tokio::test]
async fn tcp_probes_connect() {
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let probe =
        Probe::of(&check(serde_json::json!({"type": "TCP", "tcp": {"port": port}})), &request(&dir), None).unwrap();
    assert!(probe.run().await.is_ok());
    drop(listener);
    let refused = probe.run().await.unwrap_err();
    assert!(refused.contains(&format!("127.0.0.1:{port}")), "{refused}");
}

#[tokio::test]
async fn command_probes_run_in_the_sandbox() {
    let dir = tempfile::tempdir().unwrap();
    let check = check(
        serde_json::json!({"type": "COMMAND", "command": {"command": {"value": "test -f healthy && test \"$MESOS_TASK_ID\" = t"}}}),
    );
    let probe = Probe::of(&check, &request(&dir), None).unwrap();
    assert!(probe.run().await.is_err());
    std::fs::write(dir.path().join("healthy"), "").unwrap();
    assert!(probe.run().await.is_ok());
}

#[test]
fn docker_bridge_checks_go_through_the_mapped_host_port() {
    let mut task = shell_task("t", "true", &[31002]);
    task.container = Some(
        serde_json::from_value(serde_json::json!({"type": "DOCKER", "docker": {"image": "x", "network": "BRIDGE", "port_mappings": [{"host_port": 31002, "container_port": 80}]}}))
            .unwrap(),
    );
    assert_eq!(reachable_port(&task, 80), 31002);
    assert_eq!(reachable_port(&task, 8080), 8080);
    assert_eq!(reachable_port(&shell_task("t", "true", &[]), 80), 80);
}

#[tokio::test]
async fn health_changes_are_reported_and_failures_kill_the_task() {
    let dir = tempfile::tempdir().unwrap();
    let (port, status) = http_server().await;
    let agent = agent_on(dir.path(), vec![Arc::new(support::process_containerizer())]).await;
    let mut task = shell_task("web", "exec sleep 300", &[]);
    task.health_check = Some(check(serde_json::json!({
        "type": "HTTP", "http": {"port": port, "path": "/health"},
        "delay_seconds": 0, "interval_seconds": 0.2, "timeout_seconds": 1, "grace_period_seconds": 0, "consecutive_failures": 3
    })));
    agent.handle_command(launch(task)).await.unwrap();
    let patience = Duration::from_secs(20);
    task_view(&agent, "web", "healthy", patience, |t| t.latest.healthy == Some(true)).await;
    status.store(503, Ordering::SeqCst);
    let unhealthy = task_view(&agent, "web", "unhealthy", patience, |t| t.latest.healthy == Some(false)).await;
    assert_eq!(unhealthy.latest.state, TaskState::TaskRunning);
    assert!(unhealthy.latest.message.as_deref().unwrap().contains("503"));
    let killed = task_in_state(&agent, "web", TaskState::TaskKilled, patience).await;
    assert_eq!(killed.latest.healthy, Some(false));
    assert!(
        killed.latest.message.as_deref().unwrap().contains("health checks failed (3 consecutive failures"),
        "{:?}",
        killed.latest.message
    );
    let running_updates: Vec<Option<bool>> =
        killed.statuses.iter().filter(|s| s.state == TaskState::TaskRunning).map(|s| s.healthy).collect();
    assert_eq!(running_updates, [None, Some(true), Some(false)], "one update per change");
}
