//! What `corral up` runs: every process of a local cluster with its arguments. Pure: the
//! supervisor starts what the plan says.

use std::path::{Path, PathBuf};

use crate::secure::SecureFiles;

/// The shape of the local cluster: `corral up`'s flags.
#[derive(Debug, Clone, clap::Args)]
pub(crate) struct UpOptions {
    /// Configs, logs, sqlite files and task sandboxes go here.
    #[arg(long, default_value = "/tmp/corral")]
    pub dir: PathBuf,
    /// Coordinator nodes (client ports from --coordinator-port).
    #[arg(long = "coordinators", default_value_t = 1)]
    pub coordinator_nodes: u64,
    /// Agents (HTTP ports from --agent-port), each with a slice of ports 31000-32000.
    #[arg(long, default_value_t = 2)]
    pub agents: u64,
    /// The agents' containerizers: `process`, `docker,process`, `simulated`. By default the
    /// agents use Docker when an engine answers, and processes.
    #[arg(long)]
    pub containerizers: Option<String>,
    #[arg(long, default_value_t = 5050)]
    pub master_port: u16,
    /// Marathon's HTTP port.
    #[arg(long, default_value_t = 8080)]
    pub marathon_port: u16,
    /// The first coordinator client port; each next node's is +1.
    #[arg(long, default_value_t = 2181)]
    pub coordinator_port: u16,
    /// The first coordinator peer port; each next node's is +1.
    #[arg(long, default_value_t = 2888)]
    pub coordinator_peer_port: u16,
    /// The first agent's HTTP port; each next agent's is +1.
    #[arg(long, default_value_t = 5051)]
    pub agent_port: u16,
    /// HAProxy's HTTP frontend (routing by Host), when haproxy is installed.
    #[arg(long, default_value_t = 80)]
    pub lb_http_port: u16,
    /// HAProxy's HTTPS frontend (TLS by SNI).
    #[arg(long, default_value_t = 443)]
    pub lb_https_port: u16,
    /// HAProxy's stats page, health check and Prometheus metrics.
    #[arg(long, default_value_t = 9090)]
    pub lb_stats_port: u16,
    /// corral-lb's own API (/v1/status, /haproxy.cfg).
    #[arg(long, default_value_t = 9095)]
    pub lb_api_port: u16,
    /// Run every process with TLS and bearer tokens, on the same ports: a CA, certificates, a
    /// token secret and an admin token are generated under --dir (kept when they exist).
    #[arg(long)]
    pub secure: bool,
}

impl UpOptions {
    /// The lb's ports with the flags that set them.
    pub(crate) fn lb_ports(&self) -> [(&'static str, u16); 4] {
        [
            ("--lb-http-port", self.lb_http_port),
            ("--lb-https-port", self.lb_https_port),
            ("--lb-stats-port", self.lb_stats_port),
            ("--lb-api-port", self.lb_api_port),
        ]
    }
}

/// One process to run: a binary of the Corral workspace and its arguments.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProcessSpec {
    /// A short name for logs: `coordinator1`, `master`, `agent1`.
    pub name: String,
    pub binary: &'static str,
    pub args: Vec<String>,
}

/// Client addresses of the coordinator nodes, as `pseudo-cluster` numbers them.
pub(crate) fn coordinator_servers(options: &UpOptions) -> String {
    let first = u64::from(options.coordinator_port);
    (0..options.coordinator_nodes).map(|i| format!("127.0.0.1:{}", first + i)).collect::<Vec<_>>().join(",")
}

/// The address of the `index`th agent (from 0).
pub(crate) fn agent_address(options: &UpOptions, index: u64) -> String {
    format!("127.0.0.1:{}", u64::from(options.agent_port) + index)
}

/// The command that writes the coordinator configs.
pub(crate) fn pseudo_cluster(options: &UpOptions) -> ProcessSpec {
    ProcessSpec {
        name: "pseudo-cluster".into(),
        binary: "corral-coordinator",
        args: vec![
            "pseudo-cluster".into(),
            "--nodes".into(),
            options.coordinator_nodes.to_string(),
            "--dir".into(),
            coordinator_dir(&options.dir).display().to_string(),
            "--client-port".into(),
            options.coordinator_port.to_string(),
            "--peer-port".into(),
            options.coordinator_peer_port.to_string(),
        ],
    }
}

/// The files `--secure` runs with.
pub(crate) fn secure_files(options: &UpOptions) -> Option<SecureFiles> {
    options.secure.then(|| SecureFiles::in_dir(&options.dir))
}

/// `http` or `https`, as the cluster serves.
pub(crate) fn scheme(options: &UpOptions) -> &'static str {
    if options.secure {
        "https"
    } else {
        "http"
    }
}

/// Every long-running process, coordinators first; the lb (with HAProxy) when `with_lb`. Every
/// listener is on the loopback interface; with `--secure` every process gets the TLS and token
/// flags.
pub(crate) fn processes(options: &UpOptions, with_lb: bool) -> Vec<ProcessSpec> {
    let mut plan = plain_processes(options, with_lb);
    if let Some(files) = secure_files(options) {
        for process in &mut plan {
            let service = process.binary.trim_start_matches("corral-");
            process.args.extend(files.flags(service));
        }
    }
    plan
}

fn plain_processes(options: &UpOptions, with_lb: bool) -> Vec<ProcessSpec> {
    let servers = coordinator_servers(options);
    let mut plan: Vec<ProcessSpec> = (1..=options.coordinator_nodes)
        .map(|node| ProcessSpec {
            name: format!("coordinator{node}"),
            binary: "corral-coordinator",
            args: vec![
                "serve".into(),
                "--config".into(),
                coordinator_dir(&options.dir).join(format!("node{node}.toml")).display().to_string(),
            ],
        })
        .collect();
    plan.push(ProcessSpec {
        name: "master".into(),
        binary: "corral-master",
        args: vec![
            "--listen".into(),
            format!("127.0.0.1:{}", options.master_port),
            "--advertise".into(),
            format!("127.0.0.1:{}", options.master_port),
            "--coordinator".into(),
            servers.clone(),
        ],
    });
    plan.push(ProcessSpec {
        name: "marathon".into(),
        binary: "corral-marathon",
        args: vec![
            "--listen".into(),
            format!("127.0.0.1:{}", options.marathon_port),
            "--advertise".into(),
            format!("127.0.0.1:{}", options.marathon_port),
            "--coordinator".into(),
            servers.clone(),
        ],
    });
    for agent in 0..options.agents {
        // Each agent hands out its own slice of 31000-32000, since they share this machine.
        let per_agent = 1000 / options.agents.max(1);
        let first_port = 31_000 + agent * per_agent;
        let mut args = vec![
            "--listen".into(),
            agent_address(options, agent),
            "--coordinator".into(),
            servers.clone(),
            "--work-dir".into(),
            options.dir.join(format!("agent{}", agent + 1)).display().to_string(),
            "--resources".into(),
            format!("ports:[{first_port}-{}]", first_port + per_agent - 1),
        ];
        if let Some(containerizers) = &options.containerizers {
            args.extend(["--containerizers".to_string(), containerizers.clone()]);
        }
        plan.push(ProcessSpec { name: format!("agent{}", agent + 1), binary: "corral-agent", args });
    }
    if with_lb {
        plan.push(ProcessSpec {
            name: "lb".into(),
            binary: "corral-lb",
            args: vec![
                "run".into(),
                "--marathon".into(),
                format!("{}://127.0.0.1:{}", scheme(options), options.marathon_port),
                "--coordinator".into(),
                servers,
                "--work-dir".into(),
                options.dir.join("lb").display().to_string(),
                "--listen".into(),
                format!("127.0.0.1:{}", options.lb_api_port),
                "--advertise".into(),
                format!("127.0.0.1:{}", options.lb_api_port),
                "--http-port".into(),
                options.lb_http_port.to_string(),
                "--https-port".into(),
                options.lb_https_port.to_string(),
                "--stats-port".into(),
                options.lb_stats_port.to_string(),
                "--bind-addr".into(),
                "127.0.0.1".into(),
            ],
        });
    }
    plan
}

fn coordinator_dir(dir: &Path) -> PathBuf {
    dir.join("coordinator")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_get_disjoint_port_ranges_and_find_everything_through_the_coordinator() {
        let options = UpOptions {
            dir: PathBuf::from("/tmp/c"),
            coordinator_nodes: 3,
            agents: 2,
            containerizers: Some("process".into()),
            master_port: 5050,
            marathon_port: 8080,
            coordinator_port: 2181,
            coordinator_peer_port: 2888,
            agent_port: 5051,
            lb_http_port: 80,
            lb_https_port: 443,
            lb_stats_port: 9090,
            lb_api_port: 9095,
            secure: false,
        };
        assert_eq!(processes(&options, false).len(), 7, "no lb without haproxy");
        let plan = processes(&options, true);
        let names: Vec<&str> = plan.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(
            names,
            ["coordinator1", "coordinator2", "coordinator3", "master", "marathon", "agent1", "agent2", "lb"]
        );
        assert!(plan[7].args.windows(2).any(|pair| pair == ["--http-port", "80"]));
        assert!(plan[7].args.contains(&"http://127.0.0.1:8080".to_string()));
        assert!(plan[3].args.contains(&"127.0.0.1:2181,127.0.0.1:2182,127.0.0.1:2183".to_string()));
        assert!(plan[4].args.contains(&"127.0.0.1:8080".to_string()));
        assert!(plan[5].args.contains(&"ports:[31000-31499]".to_string()));
        assert!(plan[6].args.contains(&"ports:[31500-31999]".to_string()));
        assert!(plan[6].args.contains(&"/tmp/c/agent2".to_string()));
        assert!(plan.iter().all(|process| !process.args.iter().any(|arg| arg.contains("0.0.0.0"))), "loopback only");

        let secure = processes(&UpOptions { secure: true, ..options }, true);
        for process in &secure {
            let service = process.binary.trim_start_matches("corral-");
            let token = format!("/tmp/c/tokens/{service}.token");
            assert!(process.args.windows(2).any(|pair| pair == ["--token-file", token.as_str()]), "{process:?}");
            assert!(process.args.windows(2).any(|pair| pair == ["--tls-ca", "/tmp/c/tls/ca.pem"]), "{process:?}");
        }
        assert!(secure[7].args.contains(&"https://127.0.0.1:8080".to_string()));
    }
}
