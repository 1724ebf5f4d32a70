//! [`MesosCluster`]: a coordinator, masters and agents as real processes on loopback, each with
//! its own log (and work directory, for agents) in one temporary directory.

use std::path::PathBuf;
use std::time::Duration;

use tempfile::TempDir;

use crate::{binary, eventually, free_port, ChildProcess, ClusterOptions, CoordinatorCluster};

/// One service process and where it listens.
pub struct ServiceProcess {
    /// `127.0.0.1:PORT`.
    pub addr: String,
    pub process: ChildProcess,
    /// Its log file; for agents, `work_dir` is beside it.
    pub log: PathBuf,
    pub work_dir: PathBuf,
}

impl ServiceProcess {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The last lines of the process's log, for a failing assertion's message.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

pub struct MesosClusterOptions {
    pub coordinator_nodes: usize,
    pub masters: usize,
    pub agents: usize,
    /// Extra flags for every master.
    pub master_args: Vec<String>,
    /// Extra flags for every agent (`--containerizers`, ...).
    pub agent_args: Vec<String>,
    /// Every agent's `--resources`, but for its ports: agent `i` gets 100 ports from `31000 + 100 i`,
    /// so agents sharing this machine never hand out the same port.
    pub agent_resources: String,
}

impl Default for MesosClusterOptions {
    fn default() -> Self {
        MesosClusterOptions {
            coordinator_nodes: 1,
            masters: 1,
            agents: 2,
            master_args: vec!["--allocation-interval-ms".into(), "200".into()],
            agent_args: vec!["--containerizers".into(), "process".into()],
            agent_resources: "cpus:2;mem:1024;disk:1000".into(),
        }
    }
}

pub struct MesosCluster {
    pub coordinator: CoordinatorCluster,
    pub masters: Vec<ServiceProcess>,
    pub agents: Vec<ServiceProcess>,
    options: MesosClusterOptions,
    http: reqwest::Client,
    dir: TempDir,
}

impl MesosCluster {
    /// Starts everything and waits until a master leads and every agent is registered with it.
    pub async fn start(options: MesosClusterOptions) -> Self {
        let coordinator =
            CoordinatorCluster::start(ClusterOptions { participants: options.coordinator_nodes, ..Default::default() })
                .await;
        let mut dir = tempfile::tempdir().expect("temporary directory");
        if std::env::var_os("CORRAL_TEST_KEEP_DIRS").is_some() {
            dir.disable_cleanup(true);
            eprintln!("mesos cluster in {}", dir.path().display());
        }
        let http = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("http client");
        let mut cluster = MesosCluster { coordinator, masters: Vec::new(), agents: Vec::new(), options, http, dir };
        for _ in 0..cluster.options.masters {
            cluster.add_master();
        }
        cluster.leading_master().await;
        for _ in 0..cluster.options.agents {
            cluster.add_agent(&[]);
        }
        let agents = cluster.agents.len();
        cluster.wait_for_agents(agents).await;
        cluster
    }

    pub fn add_master(&mut self) -> usize {
        let index = self.masters.len();
        let addr = format!("127.0.0.1:{}", free_port());
        let mut args = vec!["--listen".to_string(), addr.clone(), "--coordinator".into(), self.coordinator.servers()];
        args.extend(self.options.master_args.iter().cloned());
        let log = self.dir.path().join(format!("master{index}.log"));
        let process = ChildProcess::spawn(&binary("corral-master"), &args, &log);
        self.masters.push(ServiceProcess { addr, process, log, work_dir: self.dir.path().to_path_buf() });
        index
    }

    /// Starts an agent that finds the master through the coordinator; `extra` flags come last
    /// (a `--resources` among them replaces the default).
    pub fn add_agent(&mut self, extra: &[&str]) -> usize {
        let index = self.agents.len();
        let addr = format!("127.0.0.1:{}", free_port());
        let work_dir = self.dir.path().join(format!("agent{index}"));
        std::fs::create_dir_all(&work_dir).expect("agent work dir");
        let mut args = vec![
            "--listen".to_string(),
            addr.clone(),
            "--coordinator".into(),
            self.coordinator.servers(),
            "--work-dir".into(),
            work_dir.display().to_string(),
        ];
        if !extra.contains(&"--resources") {
            let first_port = 31_000 + 100 * index;
            args.push("--resources".into());
            args.push(format!("{};ports:[{first_port}-{}]", self.options.agent_resources, first_port + 99));
        }
        args.extend(self.options.agent_args.iter().cloned());
        args.extend(extra.iter().map(|arg| arg.to_string()));
        let log = self.dir.path().join(format!("agent{index}.log"));
        let process = ChildProcess::spawn(&binary("corral-agent"), &args, &log);
        self.agents.push(ServiceProcess { addr, process, log, work_dir });
        index
    }

    /// Starts one agent process hosting `count` simulated agents, each with `resources`, waits
    /// until all are registered and prints how long that took (for the benchmarks).
    pub async fn add_simulated_agents(&mut self, count: usize, resources: &str) {
        let started = std::time::Instant::now();
        let count_text = count.to_string();
        self.add_agent(&["--containerizers", "simulated", "--simulated-agents", &count_text, "--resources", resources]);
        self.wait_for_agents(count).await;
        println!("{count} simulated agents registered in {:.1} s", started.elapsed().as_secs_f64());
    }

    /// The address of the master that leads, once one does and has recovered.
    pub async fn leading_master(&self) -> String {
        eventually("a leading master", Duration::from_secs(20), || async {
            for master in &self.masters {
                let Ok(response) = self.http.get(master.url("/master/state")).send().await else { continue };
                let Ok(state) = response.json::<serde_json::Value>().await else { continue };
                if state["elected_time"].is_number() {
                    return Some(master.addr.clone());
                }
            }
            None
        })
        .await
    }

    /// `/master/state` of the leading master.
    pub async fn state(&self) -> serde_json::Value {
        let leader = self.leading_master().await;
        self.http.get(format!("http://{leader}/master/state")).send().await.unwrap().json().await.unwrap()
    }

    pub async fn wait_for_agents(&self, count: usize) {
        eventually(&format!("{count} registered agents"), Duration::from_secs(20), || async {
            let state = self.state().await;
            (state["slaves"].as_array().map_or(0, Vec::len) >= count).then_some(())
        })
        .await
    }

    /// The pids of processes running in one of the agents' sandboxes (their working directory
    /// is under this cluster's directory), sorted.
    pub fn task_processes(&self) -> Vec<u32> {
        crate::process::processes_working_in(self.dir.path())
    }

    /// The scheduler API URL of the leading master.
    pub async fn scheduler_url(&self) -> String {
        format!("http://{}/api/v1/scheduler", self.leading_master().await)
    }
}

impl Drop for MesosCluster {
    /// Task processes outlive a `kill -9` of their agent by design; the test's must not outlive it.
    fn drop(&mut self) {
        for agent in &mut self.agents {
            agent.process.kill();
        }
        for pid in self.task_processes() {
            let _ = std::process::Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}
