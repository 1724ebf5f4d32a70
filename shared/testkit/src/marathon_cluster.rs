//! [`MarathonCluster`]: a [`MesosCluster`] plus `corral-marathon` instances on loopback, and the
//! calls most Marathon tests make: post an app, read it, wait for its tasks and for deployments.
//! Requests go to the leading instance (asked on `/v2/leader`) and never follow redirects, so a
//! test sees exactly what Marathon answers. Every wait is patience-scaled and, when it gives up,
//! says what it saw last and shows the tail of every marathon log.

use std::future::Future;
use std::time::Duration;

use reqwest::header::HeaderMap;
use reqwest::Method;
use serde_json::Value;
use tempfile::TempDir;

use crate::{binary, free_port, patience, ChildProcess, MesosCluster, MesosClusterOptions, ServiceProcess};

pub struct MarathonClusterOptions {
    pub mesos: MesosClusterOptions,
    pub marathons: usize,
    /// Extra flags for every marathon instance.
    pub marathon_args: Vec<String>,
}

impl Default for MarathonClusterOptions {
    fn default() -> Self {
        MarathonClusterOptions { mesos: MesosClusterOptions::default(), marathons: 1, marathon_args: Vec::new() }
    }
}

pub struct MarathonCluster {
    pub mesos: MesosCluster,
    pub marathons: Vec<ServiceProcess>,
    marathon_args: Vec<String>,
    http: reqwest::Client,
    // Dropped last: the logs outlive the processes.
    dir: TempDir,
}

/// A status code, the headers and the body (JSON, `Value::String` for any other text, `Null` when empty).
pub type Answer = (u16, HeaderMap, Value);

impl MarathonCluster {
    /// Starts the Mesos cluster, then the marathon instances, and waits until each answers
    /// `/ping` and they agree on a leader.
    pub async fn start(options: MarathonClusterOptions) -> Self {
        let mesos = MesosCluster::start(options.mesos).await;
        let mut dir = tempfile::tempdir().expect("temporary directory");
        if std::env::var_os("CORRAL_TEST_KEEP_DIRS").is_some() {
            dir.disable_cleanup(true);
            eprintln!("marathon logs in {}", dir.path().display());
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        let mut cluster =
            MarathonCluster { mesos, marathons: Vec::new(), marathon_args: options.marathon_args, http, dir };
        for _ in 0..options.marathons {
            cluster.add_marathon().await;
        }
        cluster.leader_index().await;
        cluster
    }

    /// Starts one more marathon instance (listening and advertising the same free port) and waits
    /// until it answers `/ping`; returns its index.
    pub async fn add_marathon(&mut self) -> usize {
        let index = self.marathons.len();
        let addr = format!("127.0.0.1:{}", free_port());
        let mut args = vec![
            "--listen".to_string(),
            addr.clone(),
            "--advertise".into(),
            addr.clone(),
            "--coordinator".into(),
            self.mesos.coordinator.servers(),
        ];
        args.extend(self.marathon_args.iter().cloned());
        let log = self.dir.path().join(format!("marathon{index}.log"));
        let process = ChildProcess::spawn(&binary("corral-marathon"), &args, &log);
        self.marathons.push(ServiceProcess { addr, process, log, work_dir: self.dir.path().to_path_buf() });
        let url = self.marathons[index].url("/ping");
        self.wait_until(&format!("marathon {index} to answer /ping"), Duration::from_secs(20), || async {
            let answer = self.http.get(&url).send().await.map_err(|error| error.to_string())?;
            let status = answer.status();
            let text = answer.text().await.unwrap_or_default();
            (status == 200 && text.trim() == "pong").then_some(()).ok_or(format!("{status} {text:?}"))
        })
        .await;
        index
    }

    /// The index of the instance that `/v2/leader` names (and that answers), asking every instance in turn.
    pub async fn leader_index(&self) -> usize {
        self.wait_until("a marathon leader", Duration::from_secs(20), || async {
            let mut seen = Vec::new();
            for marathon in &self.marathons {
                let answer = match self.http.get(marathon.url("/v2/leader")).send().await {
                    Ok(answer) => answer,
                    Err(error) => {
                        seen.push(format!("{}: {error}", marathon.addr));
                        continue;
                    }
                };
                let status = answer.status();
                let body: Value = answer.json().await.unwrap_or_default();
                let leader = body["leader"].as_str().unwrap_or_default();
                let named = self.marathons.iter().position(|m| m.addr == leader);
                // A survivor may still name a leader that was just killed.
                if let Some(index) = named {
                    if self.http.get(self.marathons[index].url("/ping")).send().await.is_ok() {
                        return Ok(index);
                    }
                }
                seen.push(format!("{}: {status} {body}", marathon.addr));
            }
            Err(seen.join("; "))
        })
        .await
    }

    /// `http://host:port` of the leading instance.
    pub async fn leader_url(&self) -> String {
        format!("http://{}", self.marathons[self.leader_index().await].addr)
    }

    /// The client every helper uses: 10 s timeout, no redirects followed.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Sends a request to the leader (`path` with its query, `body` as JSON).
    pub async fn call(&self, method: Method, path: &str, body: Option<&Value>) -> Answer {
        let url = format!("{}{path}", self.leader_url().await);
        send_json(&self.http, method, &url, body.map(Value::to_string)).await
    }

    /// `POST /v2/apps` with `app`.
    pub async fn post_app(&self, app: &Value) -> Answer {
        self.call(Method::POST, "/v2/apps", Some(app)).await
    }

    /// `GET path` on the leader, which must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> Value {
        let (status, _, body) = self.call(Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path} answered {body}\n{}", self.log_tails());
        body
    }

    /// The `app` object of `GET /v2/apps/{id}` (tasks, counts, deployments, lastTaskFailure).
    pub async fn app(&self, id: &str) -> Value {
        self.get_json(&format!("/v2/apps{}", absolute(id))).await["app"].clone()
    }

    /// Waits until the app has `count` tasks running (`tasksRunning`) and lists no other task;
    /// returns the app.
    pub async fn wait_for_running(&self, id: &str, count: usize) -> Value {
        let path = format!("/v2/apps{}", absolute(id));
        self.wait_until(&format!("{count} running tasks of {id}"), Duration::from_secs(60), || async {
            let (status, _, body) = self.call(Method::GET, &path, None).await;
            let app = &body["app"];
            let tasks = app["tasks"].as_array().map_or(0, Vec::len);
            let running = app["tasksRunning"].as_u64().unwrap_or(u64::MAX) as usize;
            if status == 200 && running == count && tasks == count {
                Ok(app.clone())
            } else {
                Err(format!("{status}: tasksRunning {running}, {tasks} tasks listed: {}", app_summary(app)))
            }
        })
        .await
    }

    /// Waits until `GET /v2/deployments` is `[]`.
    pub async fn wait_for_deployments_done(&self) {
        self.wait_until("no deployment left", Duration::from_secs(60), || async {
            let (status, _, body) = self.call(Method::GET, "/v2/deployments", None).await;
            (status == 200 && body == Value::Array(Vec::new())).then_some(()).ok_or(format!("{status} {body}"))
        })
        .await
    }

    /// Polls `check` every 100 ms until it returns `Ok`; after `within` (scaled by [`patience`])
    /// panics with `what`, the last `Err` (what was seen) and the marathon log tails.
    pub async fn wait_until<T, F, Fut>(&self, what: &str, within: Duration, mut check: F) -> T
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, String>>,
    {
        let deadline = tokio::time::Instant::now() + patience(within);
        loop {
            let seen = match check().await {
                Ok(value) => return value,
                Err(seen) => seen,
            };
            if tokio::time::Instant::now() >= deadline {
                panic!("timed out after {within:?} waiting for {what}; last seen: {seen}\n{}", self.log_tails());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The last lines of every marathon log, labelled, for a failing assertion's message.
    pub fn log_tails(&self) -> String {
        self.marathons
            .iter()
            .enumerate()
            .map(|(index, marathon)| {
                format!("--- marathon{index} ({}) log tail:\n{}", marathon.addr, marathon.log_tail())
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Sends one request and reads the whole answer; a request that gets no answer panics. Every
/// request says it sends JSON, body or not, as Marathon's clients do.
pub async fn send_json(http: &reqwest::Client, method: Method, url: &str, body: Option<String>) -> Answer {
    let mut request = http.request(method.clone(), url).header("content-type", "application/json");
    if let Some(body) = body {
        request = request.body(body);
    }
    let response = request.send().await.unwrap_or_else(|error| panic!("{method} {url}: {error}"));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.unwrap_or_default();
    let body = match text.trim() {
        "" => Value::Null,
        trimmed => serde_json::from_str(trimmed).unwrap_or(Value::String(text)),
    };
    (status, headers, body)
}

/// `id` with a leading `/`.
fn absolute(id: &str) -> String {
    match id.starts_with('/') {
        true => id.to_string(),
        false => format!("/{id}"),
    }
}

/// An app's counts, deployments and tasks (id, state, health), short enough for a message.
pub fn app_summary(app: &Value) -> String {
    let tasks: Vec<String> = app["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|task| {
            let alive: Vec<&Value> =
                task["healthCheckResults"].as_array().into_iter().flatten().map(|result| &result["alive"]).collect();
            format!("{} {} v{} ports {} alive {alive:?}", task["id"], task["state"], task["version"], task["ports"])
        })
        .collect();
    format!(
        "app {} version {} instances {} staged {} running {} healthy {} unhealthy {} deployments {} tasks [{}]",
        app["id"],
        app["version"],
        app["instances"],
        app["tasksStaged"],
        app["tasksRunning"],
        app["tasksHealthy"],
        app["tasksUnhealthy"],
        app["deployments"],
        tasks.join("; ")
    )
}
