//! Drain before kill with real coordinator, master, agent and marathon processes
//! (`--drain-wait-ms 3000`), and a test "lb" that registers under `/corral/lb/members` through
//! `corral-coord-client` (its own session) and confirms drains by creating the child nodes. The
//! app's tasks ignore SIGTERM for their 2 s grace period, so a kill shows as TASK_KILLING first.
//! - (c) With no lb registered, a scale-down's kill follows its announcement at once.
//! - (a) With an lb registered that does not confirm, the victim stays TASK_RUNNING and announced
//!   (its drain node, with the task's app, host and ports, exists) for the drain wait, and is
//!   killed after it.
//! - (b) When the lb confirms (here for an app's deletion), the kill follows well within a second.
//! - (d) Each drain node is removed once its task is gone, and not before.

use std::time::{Duration, Instant};

use corral_coord_client::{CoordAddresses, CoordClient, CreateMode};
use corral_testkit::{patience, send_json, MarathonCluster, MarathonClusterOptions};
use corral_wire::lb::{DrainAnnouncement, DrainPaths, LbMember};
use reqwest::Method;
use serde_json::{json, Value};

const DRAIN_WAIT: Duration = Duration::from_millis(3_000);
const LB_ID: &str = "test-lb";
/// How often the test looks at marathon and the coordinator.
const POLL: Duration = Duration::from_millis(20);

/// Marathon's view, through the leader found once.
struct View<'a> {
    cluster: &'a MarathonCluster,
    leader: String,
    coordinator: CoordClient,
    paths: DrainPaths,
}

impl View<'_> {
    /// Every task of every app (also of an app being deleted), by `GET /v2/tasks`.
    async fn tasks(&self) -> Vec<Value> {
        let url = format!("{}/v2/tasks", self.leader);
        let (status, _, body) = send_json(self.cluster.http(), Method::GET, &url, None).await;
        assert_eq!(status, 200, "GET /v2/tasks: {body}\n{}", self.cluster.log_tails());
        body["tasks"].as_array().cloned().unwrap_or_default()
    }

    /// The app's tasks as `GET /v2/apps?embed=apps.tasks` shows them.
    async fn app_tasks(&self, app_id: &str) -> Vec<Value> {
        let url = format!("{}/v2/apps?embed=apps.tasks", self.leader);
        let (status, _, body) = send_json(self.cluster.http(), Method::GET, &url, None).await;
        assert_eq!(status, 200, "GET /v2/apps: {body}\n{}", self.cluster.log_tails());
        let apps = body["apps"].as_array().cloned().unwrap_or_default();
        let app = apps.into_iter().find(|app| app["id"] == app_id);
        app.map(|app| app["tasks"].as_array().cloned().unwrap_or_default()).unwrap_or_default()
    }

    /// The task ids with a drain node.
    async fn drains(&self) -> Vec<String> {
        match self.coordinator.children(&self.paths.drains()).await {
            Ok(children) => children.children,
            Err(error) if error.is_no_node() => Vec::new(),
            Err(error) => panic!("reading the drains: {error}"),
        }
    }

    async fn announcement(&self, task_id: &str) -> Option<DrainAnnouncement> {
        match self.coordinator.get(&self.paths.drain(task_id)).await {
            Ok(znode) => Some(serde_json::from_str(&znode.data).expect("a DrainAnnouncement")),
            Err(error) if error.is_no_node() => None,
            Err(error) => panic!("reading a drain node: {error}"),
        }
    }

    /// Waits for the first drain node not in `seen`; answers its task and when it was seen.
    async fn next_announcement(&self, seen: &[String]) -> (String, Instant) {
        let deadline = Instant::now() + patience(Duration::from_secs(20));
        loop {
            if let Some(task) = self.drains().await.into_iter().find(|task| !seen.contains(task)) {
                return (task, Instant::now());
            }
            assert!(Instant::now() < deadline, "no drain node appeared\n{}", self.cluster.log_tails());
            tokio::time::sleep(POLL).await;
        }
    }

    /// Polls until `task_id` is no longer TASK_RUNNING in `/v2/apps?embed=apps.tasks` (or in
    /// `/v2/tasks` when `app_id` is `None`), checking that it stays announced meanwhile; answers
    /// when, and the state it showed then (`None`: gone).
    async fn wait_for_kill(&self, app_id: Option<&str>, task_id: &str) -> (Instant, Option<String>) {
        let deadline = Instant::now() + patience(Duration::from_secs(30));
        loop {
            // The drain node first: a task still known afterwards was known when it was read.
            let announced = self.drains().await.iter().any(|task| task == task_id);
            let tasks = match app_id {
                Some(app_id) => self.app_tasks(app_id).await,
                None => self.tasks().await,
            };
            let state = tasks.iter().find(|task| task["id"] == task_id).map(|task| task["state"].to_string());
            if state.as_deref() != Some("\"TASK_RUNNING\"") {
                return (Instant::now(), state.map(|state| state.trim_matches('"').to_string()));
            }
            assert!(announced, "{task_id} runs on, no longer announced, before its kill\n{}", self.cluster.log_tails());
            assert!(Instant::now() < deadline, "{task_id} was never killed\n{}", self.cluster.log_tails());
            tokio::time::sleep(POLL).await;
        }
    }

    /// Waits until the task is gone, checking its drain node stays until then; then until the
    /// drain node is gone too.
    async fn wait_for_cleanup(&self, task_id: &str) {
        let deadline = Instant::now() + patience(Duration::from_secs(30));
        loop {
            let announced = self.drains().await.iter().any(|task| task == task_id);
            let known = self.tasks().await.iter().any(|task| task["id"] == task_id);
            match (known, announced) {
                (false, false) => return,
                (true, false) => {
                    panic!("the drain node of {task_id} went before the task\n{}", self.cluster.log_tails())
                }
                _ => {}
            }
            assert!(
                Instant::now() < deadline,
                "{task_id} (known: {known}) or its drain node stayed\n{}",
                self.cluster.log_tails()
            );
            tokio::time::sleep(POLL).await;
        }
    }
}

fn task_ids(tasks: &[Value]) -> Vec<String> {
    tasks.iter().map(|task| task["id"].as_str().expect("a task id").to_string()).collect()
}

async fn scale(cluster: &MarathonCluster, count: u32) {
    let (status, _, body) = cluster.call(Method::PUT, "/v2/apps/drain", Some(&json!({"instances": count}))).await;
    assert_eq!(status, 200, "scaling to {count}: {body}\n{}", cluster.log_tails());
}

/// Waits until marathon's log says it saw the lb register (its watch reports the member).
async fn wait_until_marathon_sees_the_lb(cluster: &MarathonCluster) {
    cluster
        .wait_until("marathon to see the lb register", Duration::from_secs(20), || async {
            let log = std::fs::read_to_string(&cluster.marathons[cluster.leader_index().await].log).unwrap_or_default();
            let seen = log.lines().any(|line| line.contains("A load balancer registered.") && line.contains(LB_ID));
            seen.then_some(()).ok_or_else(|| "not in the log yet".to_string())
        })
        .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn kills_wait_for_the_load_balancers_to_drain_bounded_by_the_drain_wait() {
    let options = MarathonClusterOptions {
        marathon_args: vec!["--drain-wait-ms".into(), DRAIN_WAIT.as_millis().to_string()],
        ..MarathonClusterOptions::default()
    };
    let cluster = MarathonCluster::start(options).await;
    let coordinator = CoordClient::new(CoordAddresses::parse(&cluster.mesos.coordinator.servers()).unwrap());
    let paths = DrainPaths::new("/corral/marathon", corral_wire::lb::DEFAULT_LB_ROOT);
    let view = View { cluster: &cluster, leader: cluster.leader_url().await, coordinator: coordinator.clone(), paths };
    let app = json!({"id": "/drain", "cmd": "trap '' TERM; exec sleep 300", "cpus": 0.1, "mem": 32,
                     "instances": 3, "portDefinitions": [{"port": 0}], "taskKillGracePeriodSeconds": 2});
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "POST /v2/apps: {body}\n{}", cluster.log_tails());
    cluster.wait_for_running("/drain", 3).await;
    cluster.wait_for_deployments_done().await;

    // (c) No lb registered: the kill is immediate (and still announced first).
    let asked = Instant::now();
    scale(&cluster, 2).await;
    let (victim, _) = view.next_announcement(&[]).await;
    let (killed, state) = view.wait_for_kill(Some("/drain"), &victim).await;
    let no_lb = killed - asked;
    assert_eq!(state.as_deref(), Some("TASK_KILLING"), "the agent reports the grace period");
    assert!(no_lb < patience(Duration::from_secs(1)), "with no lb the kill took {no_lb:?}\n{}", cluster.log_tails());
    view.wait_for_cleanup(&victim).await;
    cluster.wait_for_deployments_done().await;

    // The lb registers with its own session.
    let session = coordinator.create_session(Duration::from_secs(10)).await.unwrap();
    corral_coord_client::ensure_path(&coordinator, &view.paths.members()).await.unwrap();
    let member = serde_json::to_string(&LbMember { id: LB_ID.into(), address: "127.0.0.1:9".into() }).unwrap();
    coordinator.create(&view.paths.member(LB_ID), member, CreateMode::Ephemeral, Some(session.id())).await.unwrap();
    wait_until_marathon_sees_the_lb(&cluster).await;

    // (a) The lb stays silent: the victim runs on, announced, for the drain wait.
    let before = view.app_tasks("/drain").await;
    scale(&cluster, 1).await;
    let (victim, announced) = view.next_announcement(&[]).await;
    let task = before.iter().find(|task| task["id"] == victim.as_str()).expect("the victim is one of the app's tasks");
    let announcement = view.announcement(&victim).await.expect("the drain node");
    assert_eq!(announcement.task_id, victim);
    assert_eq!(announcement.app_id, "/drain");
    assert_eq!(json!(announcement.host), task["host"]);
    assert_eq!(json!(announcement.ports), task["ports"]);
    let (killed, state) = view.wait_for_kill(Some("/drain"), &victim).await;
    let waited = killed - announced;
    assert_eq!(state.as_deref(), Some("TASK_KILLING"), "/v2/apps?embed=apps.tasks shows the kill");
    assert!(
        waited >= DRAIN_WAIT - Duration::from_millis(300) && waited < DRAIN_WAIT + patience(Duration::from_secs(2)),
        "the unconfirmed kill came {waited:?} after the announcement, the drain wait is {DRAIN_WAIT:?}\n{}",
        cluster.log_tails()
    );
    view.wait_for_cleanup(&victim).await;
    cluster.wait_for_deployments_done().await;

    // (b) Deleting the app: the lb confirms the last task's drain half a second after its
    // announcement, and the kill follows at once.
    let last = task_ids(&view.app_tasks("/drain").await);
    assert_eq!(last.len(), 1, "one task left: {last:?}");
    let (status, _, body) = cluster.call(Method::DELETE, "/v2/apps/drain", None).await;
    assert_eq!(status, 200, "DELETE /v2/apps/drain: {body}\n{}", cluster.log_tails());
    let (victim, announced) = view.next_announcement(&[]).await;
    assert_eq!(victim, last[0]);
    tokio::time::sleep_until((announced + Duration::from_millis(500)).into()).await;
    let still = view.tasks().await.into_iter().find(|task| task["id"] == victim.as_str());
    assert_eq!(
        still.map(|task| task["state"].clone()),
        Some(json!("TASK_RUNNING")),
        "not killed before it is confirmed"
    );
    coordinator.create(&view.paths.confirmation(&victim, LB_ID), "", CreateMode::Persistent, None).await.unwrap();
    let confirmed = Instant::now();
    let (killed, state) = view.wait_for_kill(None, &victim).await;
    let after_confirmation = killed - confirmed;
    assert_eq!(state.as_deref(), Some("TASK_KILLING"));
    assert!(
        after_confirmation < patience(Duration::from_millis(800)),
        "the confirmed kill took {after_confirmation:?}\n{}",
        cluster.log_tails()
    );
    view.wait_for_cleanup(&victim).await;
    cluster.wait_for_deployments_done().await;

    // (d) Nothing is left under the drains.
    assert_eq!(view.drains().await, Vec::<String>::new());
    session.close().await.unwrap();
    println!(
        "no lb: killed {no_lb:?} after the scale; silent lb: killed {waited:?} after the announcement \
         (drain wait {DRAIN_WAIT:?}); confirming lb: killed {after_confirmation:?} after the confirmation"
    );
}
