//! Flag validation: every bad value is refused with its flag's name; defaults are derived.

use clap::Parser;

use super::*;

const HOST: HostMeasurements = HostMeasurements { cores: 2, total_mem_mb: 4096.0, free_disk_mb: 20000.0 };

fn flags(args: &[&str]) -> AgentFlags {
    let mut argv = vec!["corral-agent", "--work-dir", "/tmp/agent"];
    argv.extend_from_slice(args);
    AgentFlags::try_parse_from(argv).expect("clap accepts these")
}

fn config(args: &[&str]) -> Result<AgentConfig, ConfigError> {
    AgentConfig::from_flags(&flags(args), HOST, "node7")
}

fn refused(args: &[&str], flag: &str, words: &str) {
    let error = config(args).expect_err("refused");
    assert_eq!(error.flag, flag, "{args:?}: {error}");
    assert!(error.to_string().contains(words), "{args:?}: {error}");
    assert!(!error.to_string().contains('\n'), "one line: {error}");
}

#[test]
fn bad_values_name_their_flag() {
    let master = ["--master", "http://127.0.0.1:5050"];
    refused(&["--listen", "nowhere", master[0], master[1]], "--listen", "nowhere");
    refused(&["--advertise", "host", master[0], master[1]], "--advertise", "HOST:PORT");
    refused(&[], "--coordinator/--master", "exactly one");
    refused(&["--coordinator", "a:1", master[0], master[1]], "--coordinator/--master", "exactly one");
    refused(&["--coordinator", "a:99999"], "--coordinator", "port");
    refused(&["--coordinator", "a:1", "--master-root", "corral"], "--master-root", "absolute");
    refused(&["--master", "ftp://m:5050"], "--master", "ftp://m:5050");
    refused(&["--containerizers", "docker,lxc", master[0], master[1]], "--containerizers", "lxc");
    refused(&["--containerizers", "process,process", master[0], master[1]], "--containerizers", "twice");
    refused(&["--containerizers", "", master[0], master[1]], "--containerizers", "at least one");
    refused(&["--resources", "cpus:many", master[0], master[1]], "--resources", "many");
    refused(&["--attributes", "rack", master[0], master[1]], "--attributes", "rack");
    refused(&["--status-retry-ms", "0", master[0], master[1]], "--status-retry-ms", "positive");
    refused(&["--simulated-agents", "x", master[0], master[1]], "--simulated-agents", "positive");
    refused(&["--simulated-agents", "3", master[0], master[1]], "--simulated-agents", "simulated");
}

#[test]
fn defaults_are_derived() {
    let config = config(&["--master", "127.0.0.1:5050/"]).unwrap();
    assert_eq!(config.master, MasterSource::Fixed("http://127.0.0.1:5050".into()));
    assert_eq!(config.listen, "0.0.0.0:5051".parse().unwrap());
    assert_eq!((config.advertise_host.as_str(), config.advertise_port), ("node7", Some(5051)));
    assert_eq!(config.containerizers, vec![ContainerizerKind::Docker, ContainerizerKind::Process]);
    assert!(!config.docker_required, "docker by default only");
    assert_eq!(config.resources.to_string(), "cpus:2;disk:15000;mem:3072;ports:[31000-32000]");
    assert_eq!(config.status_retry, Duration::from_secs(10));
    assert_eq!(config.simulated_agents, 1);

    let config = config_with_listen("127.0.0.1:0");
    assert_eq!((config.advertise_host.as_str(), config.advertise_port), ("127.0.0.1", None));
    let config = AgentConfig::from_flags(
        &flags(&[
            "--coordinator",
            "c1:2181,c2:2181",
            "--advertise",
            "agent.example:6000",
            "--containerizers",
            "simulated",
            "--simulated-agents",
            "1000",
            "--attributes",
            "rack:a",
        ]),
        HOST,
        "node7",
    )
    .unwrap();
    assert!(
        matches!(config.master, MasterSource::Coordinator { ref addresses, ref leader_dir } if addresses.len() == 2 && leader_dir == "/corral/master/leader")
    );
    assert!(config.docker_required, "named explicitly");
    assert_eq!((config.advertise_host.as_str(), config.advertise_port), ("agent.example", Some(6000)));
    assert_eq!(config.simulated_agents, 1000);
    assert_eq!(config.attributes[0].value_text(), "a");
}

fn config_with_listen(listen: &str) -> AgentConfig {
    config(&["--listen", listen, "--master", "http://m:5050"]).unwrap()
}

#[test]
fn privileged_docker_tasks_are_refused_unless_allowed() {
    let master = ["--master", "http://m:5050"];
    assert!(!config(&master).unwrap().docker_allow_privileged);
    assert!(config(&[master[0], master[1], "--docker-allow-privileged"]).unwrap().docker_allow_privileged);
}
