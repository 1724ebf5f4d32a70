//! [`LbProcess`]: a real `corral-lb run` with Debian's HAProxy, on free loopback ports, following
//! a [`MarathonCluster`]; and [`Load`], a load generator (Debian's `hey`) whose every failed
//! request is counted.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use crate::{binary, eventually, free_port, ChildProcess, MarathonCluster};

pub struct LbProcess {
    pub process: ChildProcess,
    pub http_port: u16,
    pub https_port: u16,
    pub stats_port: u16,
    /// `127.0.0.1:PORT` of the lb's own API.
    pub api: String,
    pub certs_dir: PathBuf,
    pub work_dir: PathBuf,
    pub log: PathBuf,
    http: reqwest::Client,
    // Dropped last: the logs outlive the process.
    _dir: TempDir,
}

impl LbProcess {
    /// Starts an lb on every marathon of `cluster` (and its coordinator, for drains), with an
    /// empty `--certs-dir` the test may fill, and waits until it serves marathon's apps.
    pub async fn start(cluster: &MarathonCluster, extra: &[&str]) -> LbProcess {
        let dir = tempfile::tempdir().expect("temporary directory");
        let (work_dir, certs_dir, log) = (dir.path().join("work"), dir.path().join("certs"), dir.path().join("lb.log"));
        std::fs::create_dir_all(&certs_dir).expect("certs dir");
        let marathons: Vec<String> = cluster.marathons.iter().map(|marathon| marathon.url("")).collect();
        let (http_port, https_port, stats_port) = (free_port(), free_port(), free_port());
        let api = format!("127.0.0.1:{}", free_port());
        let mut args: Vec<String> = [
            "run",
            "--marathon",
            &marathons.join(","),
            "--coordinator",
            &cluster.mesos.coordinator.servers(),
            "--work-dir",
            work_dir.to_str().unwrap(),
            "--certs-dir",
            certs_dir.to_str().unwrap(),
            "--listen",
            &api,
            "--bind-addr",
            "127.0.0.1",
            "--http-port",
            &http_port.to_string(),
            "--https-port",
            &https_port.to_string(),
            "--stats-port",
            &stats_port.to_string(),
        ]
        .iter()
        .map(|arg| arg.to_string())
        .collect();
        args.extend(extra.iter().map(|arg| arg.to_string()));
        let process = ChildProcess::spawn(&binary("corral-lb"), &args, &log);
        let http = reqwest::Client::builder().timeout(Duration::from_secs(10)).build().expect("http client");
        let lb =
            LbProcess { process, http_port, https_port, stats_port, api, certs_dir, work_dir, log, http, _dir: dir };
        let health = format!("http://{}/health", lb.api);
        eventually("the lb serves marathon's apps", Duration::from_secs(20), || {
            let (http, health) = (lb.http.clone(), health.clone());
            async move { http.get(&health).send().await.ok().filter(|r| r.status() == 200).map(|_| ()) }
        })
        .await;
        lb
    }

    /// `GET /v1/status`.
    pub async fn status(&self) -> Value {
        let url = format!("http://{}/v1/status", self.api);
        self.http.get(&url).send().await.expect("lb status").json().await.expect("status JSON")
    }

    pub async fn status_count(&self, key: &str) -> u64 {
        self.status().await[key].as_u64().unwrap_or_else(|| panic!("status has no {key}"))
    }

    /// The config HAProxy runs (`GET /haproxy.cfg`).
    pub async fn config(&self) -> String {
        let url = format!("http://{}/haproxy.cfg", self.api);
        self.http.get(&url).send().await.expect("lb config").text().await.expect("config text")
    }

    /// `GET path` on the HTTP frontend with `Host: host`: the status and body (0 when the
    /// connection failed).
    pub async fn get(&self, host: &str, path: &str) -> (u16, String) {
        let url = format!("http://127.0.0.1:{}{path}", self.http_port);
        match self.http.get(&url).header("host", host).send().await {
            Ok(response) => (response.status().as_u16(), response.text().await.unwrap_or_default()),
            Err(_) => (0, String::new()),
        }
    }

    /// Asks through the HTTP frontend until every task port of `ports` has answered
    /// `/port.txt` for `host` (see [`port_echo_app`]).
    pub async fn wait_until_routed(&self, host: &str, ports: &std::collections::BTreeSet<u16>) {
        let seen = std::sync::Mutex::new(std::collections::BTreeSet::new());
        eventually(&format!("{host} answered by the tasks on {ports:?}"), Duration::from_secs(20), || async {
            let (status, body) = self.get(host, "/port.txt").await;
            let mut seen = seen.lock().expect("not poisoned");
            if let (200, Ok(port)) = (status, body.trim().parse::<u16>()) {
                seen.insert(port);
            }
            (*seen == *ports).then_some(())
        })
        .await;
    }

    /// `http://127.0.0.1:<http port><path>`.
    pub fn http_url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.http_port)
    }

    /// How many generations of HAProxy workers are alive (HAProxy's master CLI, `show proc`).
    pub fn worker_generations(&self) -> usize {
        LbProcess::worker_generations_in(&self.work_dir)
    }

    /// `worker_generations` of the lb whose `--work-dir` is `work_dir` (for a watching thread).
    pub fn worker_generations_in(work_dir: &Path) -> usize {
        let answer = unix_exchange(&work_dir.join("haproxy-master.sock"), "show proc");
        let generations: std::collections::BTreeSet<&str> = answer
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                (fields.get(1) == Some(&"worker")).then(|| fields.get(2).copied().unwrap_or("0"))
            })
            .collect();
        generations.len()
    }

    /// The ports of the servers of `backend` HAProxy sends requests to now: up (their check
    /// passed), neither in maintenance nor draining.
    pub fn serving_ports(&self, backend: &str) -> std::collections::BTreeSet<u16> {
        // Running, and none of forced or inherited maintenance or drain (0x1b).
        self.servers(backend)
            .into_iter()
            .filter(|(_, op, admin)| *op == 2 && admin & 0x1b == 0)
            .map(|(port, ..)| port)
            .collect()
    }

    /// `(port, operational state, admin state)` of each server of `backend` (runtime API,
    /// `show servers state`).
    fn servers(&self, backend: &str) -> Vec<(u16, u32, u32)> {
        let answer = unix_exchange(&self.work_dir.join("haproxy-admin.sock"), &format!("show servers state {backend}"));
        answer
            .lines()
            .filter(|line| !line.starts_with('#'))
            .filter_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                Some((fields.get(18)?.parse().ok()?, fields.get(5)?.parse().ok()?, fields.get(6)?.parse().ok()?))
            })
            .collect()
    }

    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(60)..].join("\n")
    }
}

impl Drop for LbProcess {
    /// An lb killed with SIGKILL leaves its HAProxy serving (a restarted lb takes it over), so
    /// the test stops that HAProxy itself (SIGTERM: the master stops its workers).
    fn drop(&mut self) {
        self.process.kill();
        if let Ok(pid) = std::fs::read_to_string(self.work_dir.join("haproxy.pid")) {
            let _ = Command::new("kill").args(["-TERM", pid.trim()]).status();
        }
    }
}

fn unix_exchange(socket: &Path, command: &str) -> String {
    let Ok(mut stream) = UnixStream::connect(socket) else { return String::new() };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let _ = stream.write_all(format!("{command}\n").as_bytes());
    let _ = stream.shutdown(std::net::Shutdown::Write);
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

/// A command app whose tasks serve their sandbox over HTTP, where `/port.txt` names the task's
/// host port, exposed by the lb with `labels`.
pub fn port_echo_app(id: &str, instances: u32, labels: Value) -> Value {
    serde_json::json!({
        "id": id, "cmd": "echo $PORT0 > port.txt; exec python3 -m http.server $PORT0 --bind 127.0.0.1",
        "cpus": 0.1, "mem": 32, "instances": instances, "portDefinitions": [{"port": 0}], "labels": labels
    })
}

/// The host ports (index 0) of an app's tasks that are TASK_RUNNING, from marathon's JSON.
pub fn running_ports(app: &Value) -> std::collections::BTreeSet<u16> {
    app["tasks"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|task| task["state"] == "TASK_RUNNING")
        .filter_map(|task| task["ports"][0].as_u64().and_then(|port| u16::try_from(port).ok()))
        .collect()
}

/// `hey` sending requests for a while in the background.
pub struct Load {
    child: Child,
}

/// What a load run saw: answers by status, and errors (refused or reset connections, timeouts).
#[derive(Debug, Default)]
pub struct LoadReport {
    pub statuses: BTreeMap<u16, u64>,
    /// `(count, error)`.
    pub errors: Vec<(u64, String)>,
    pub text: String,
}

impl LoadReport {
    pub fn ok(&self) -> u64 {
        self.statuses.iter().filter(|(status, _)| (200..300).contains(*status)).map(|(_, n)| n).sum()
    }

    /// Requests that did not get a 2xx answer.
    pub fn failed(&self) -> u64 {
        self.statuses.iter().filter(|(status, _)| !(200..300).contains(*status)).map(|(_, n)| n).sum::<u64>()
            + self.errors.iter().map(|(count, _)| count).sum::<u64>()
    }
}

impl Load {
    /// `hey -z <longest> -c <clients> -host <host> <url>`, until `finish` (or `longest`); fails
    /// the test if `hey` is missing.
    pub fn start(url: &str, host: &str, longest: Duration, clients: usize) -> Load {
        let child = Command::new("hey")
            .args(["-z", &format!("{}ms", longest.as_millis()), "-c", &clients.to_string(), "-host", host, url])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("hey must be installed for this test (`apt-get install hey`; .ci/run installs it)");
        Load { child }
    }

    /// Ends the run (SIGINT: hey then prints its summary) and reads the summary.
    pub fn finish(self) -> LoadReport {
        let _ = Command::new("kill").args(["-INT", &self.child.id().to_string()]).status();
        let output = self.child.wait_with_output().expect("hey runs");
        let text = String::from_utf8_lossy(&output.stdout).to_string();
        let mut report = LoadReport { text: text.clone(), ..LoadReport::default() };
        let mut section = "";
        for line in text.lines() {
            let trimmed = line.trim();
            if trimmed.ends_with(':') && !trimmed.starts_with('[') {
                section = trimmed;
                continue;
            }
            match section {
                "Status code distribution:" => {
                    // "[200]\t1234 responses"
                    let status = trimmed.trim_start_matches('[').split(']').next().and_then(|s| s.parse().ok());
                    let count = trimmed.split(']').nth(1).and_then(|rest| rest.split_whitespace().next()?.parse().ok());
                    if let (Some(status), Some(count)) = (status, count) {
                        report.statuses.insert(status, count);
                    }
                }
                "Error distribution:" if !trimmed.is_empty() => {
                    // "[3]\tGet \"http://...\": read: connection reset by peer"
                    let count = trimmed.trim_start_matches('[').split(']').next().and_then(|n| n.parse().ok());
                    report.errors.push((count.unwrap_or(1), trimmed.to_string()));
                }
                _ => {}
            }
        }
        report
    }
}
