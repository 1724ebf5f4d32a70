//! A whole local cluster as a user starts it, `corral up`, in a fresh directory with every port
//! taken from the free ephemeral ones, so tests can run side by side.

use std::path::Path;
use std::time::Duration;

use crate::{binary, eventually, free_port, ChildProcess};

/// The ports `corral up` listens on, one per port flag.
#[derive(Debug, Clone, Copy)]
pub struct UpPorts {
    pub master: u16,
    pub marathon: u16,
    pub coordinator: u16,
    pub coordinator_peer: u16,
    pub agent: u16,
    pub lb_http: u16,
    pub lb_https: u16,
    pub lb_stats: u16,
    pub lb_api: u16,
}

impl UpPorts {
    pub fn free() -> Self {
        UpPorts {
            master: free_port(),
            marathon: free_port(),
            coordinator: free_port(),
            coordinator_peer: free_port(),
            agent: free_port(),
            lb_http: free_port(),
            lb_https: free_port(),
            lb_stats: free_port(),
            lb_api: free_port(),
        }
    }

    /// The port flags, `--master-port N ...`.
    pub fn args(&self) -> Vec<String> {
        [
            ("--master-port", self.master),
            ("--marathon-port", self.marathon),
            ("--coordinator-port", self.coordinator),
            ("--coordinator-peer-port", self.coordinator_peer),
            ("--agent-port", self.agent),
            ("--lb-http-port", self.lb_http),
            ("--lb-https-port", self.lb_https),
            ("--lb-stats-port", self.lb_stats),
            ("--lb-api-port", self.lb_api),
        ]
        .into_iter()
        .flat_map(|(flag, port)| [flag.to_string(), port.to_string()])
        .collect()
    }
}

/// A running `corral up` (stopped with its whole process group when dropped).
pub struct CorralUp {
    pub ports: UpPorts,
    pub process: ChildProcess,
    agents: usize,
    /// Started with `--secure`: TLS everywhere, tokens on every API.
    secure: bool,
    dir: tempfile::TempDir,
}

impl CorralUp {
    /// `corral up --agents <agents> --containerizers process` plus `extra` flags, on free ports.
    pub fn start(agents: usize, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let ports = UpPorts::free();
        let mut args: Vec<String> = vec!["up".into(), "--dir".into(), dir.path().display().to_string()];
        args.extend(ports.args());
        args.extend(["--agents".into(), agents.to_string(), "--containerizers".into(), "process".into()]);
        args.extend(extra.iter().map(|arg| arg.to_string()));
        let process = ChildProcess::spawn(&binary("corral"), &args, &dir.path().join("corral.log"));
        CorralUp { ports, process, agents, secure: extra.contains(&"--secure"), dir }
    }

    /// A client for the cluster's APIs: with `--secure`, it trusts the generated CA and sends the
    /// admin token `corral up` wrote (waiting for both to be written).
    pub async fn http_client(&self) -> reqwest::Client {
        let builder = reqwest::Client::builder().timeout(Duration::from_secs(5));
        if !self.secure {
            return builder.build().expect("an HTTP client");
        }
        let (ca, token) =
            eventually("corral up --secure to write its CA and admin token", Duration::from_secs(30), || async {
                let ca = std::fs::read(self.dir.path().join("tls/ca.pem")).ok()?;
                let token = std::fs::read_to_string(self.dir.path().join("admin.token")).ok()?;
                Some((ca, token.trim().to_string()))
            })
            .await;
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(reqwest::header::AUTHORIZATION, format!("Bearer {token}").parse().expect("a header value"));
        builder
            .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("the CA is PEM"))
            .default_headers(headers)
            .build()
            .expect("an HTTP client")
    }

    /// Waits until the master leads with every agent registered, marathon has subscribed and
    /// leads, and the lb serves.
    pub async fn wait_ready(&self) {
        let http = self.http_client().await;
        let ready = eventually("corral up to come up", Duration::from_secs(60), || async {
            let state: serde_json::Value =
                http.get(self.url(self.ports.master, "/master/state")).send().await.ok()?.json().await.ok()?;
            let subscribed = state["frameworks"].as_array()?.iter().any(|framework| framework["name"] == "marathon");
            let agents = state["slaves"].as_array()?.len() == self.agents;
            let marathon =
                http.get(self.url(self.ports.marathon, "/v2/leader")).send().await.ok()?.status().is_success();
            let lb = http.get(self.url(self.ports.lb_api, "/health")).send().await.ok()?.status().is_success();
            (subscribed && agents && marathon && lb).then_some(())
        });
        tokio::time::timeout(Duration::from_secs(90), ready)
            .await
            .unwrap_or_else(|_| panic!("corral up did not come up:\n{}", self.logs()));
    }

    /// `http://127.0.0.1:<port><path>`, or `https://` for a secure cluster.
    pub fn url(&self, port: u16, path: &str) -> String {
        let scheme = if self.secure { "https" } else { "http" };
        format!("{scheme}://127.0.0.1:{port}{path}")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Every log `corral up` wrote, for a test that failed.
    pub fn logs(&self) -> String {
        let mut names: Vec<_> = std::fs::read_dir(self.dir.path())
            .map(|entries| {
                entries
                    .flatten()
                    .map(|entry| entry.path())
                    .filter(|path| path.extension().is_some_and(|ext| ext == "log"))
                    .collect()
            })
            .unwrap_or_default();
        names.sort();
        names
            .iter()
            .map(|path| format!("== {}\n{}", path.display(), std::fs::read_to_string(path).unwrap_or_default()))
            .collect()
    }
}

impl Drop for CorralUp {
    /// The agents' tasks live in their own process groups (so an agent can restart without them):
    /// they go too, so that no task of this test holds a port the next test's tasks are given.
    fn drop(&mut self) {
        self.process.kill_group();
        for pid in crate::process::processes_working_in(self.dir.path()) {
            let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}
