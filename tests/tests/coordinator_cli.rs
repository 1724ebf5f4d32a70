//! The client subcommands of `corral-coordinator`, run as a user would against a real cluster.

use std::process::Command;

use corral_testkit::{binary, ClusterOptions, CoordinatorCluster};

fn invoke(cluster: &CoordinatorCluster, args: &[&str]) -> std::process::Output {
    Command::new(binary("corral-coordinator"))
        .args(args)
        .args(["--server", &cluster.servers()])
        .output()
        .expect("run corral-coordinator")
}

/// Runs a subcommand against the cluster; returns its stdout, or panics with its stderr.
fn run(cluster: &CoordinatorCluster, args: &[&str]) -> String {
    let output = invoke(cluster, args);
    let stdout = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success(), "{args:?} failed: {}{stdout}", String::from_utf8_lossy(&output.stderr));
    stdout
}

/// Runs a subcommand that must fail; returns its stderr.
fn run_failing(cluster: &CoordinatorCluster, args: &[&str]) -> String {
    let output = invoke(cluster, args);
    assert!(!output.status.success(), "{args:?} should have failed");
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[tokio::test]
async fn the_client_subcommands_work_like_zkcli() {
    let cluster = CoordinatorCluster::start(ClusterOptions::default()).await;
    let status: serde_json::Value = serde_json::from_str(&run(&cluster, &["status"])).unwrap();
    assert!(["leader", "follower"].contains(&status["mode"].as_str().unwrap()), "{status}");

    assert_eq!(run(&cluster, &["create", "/app", "v1"]).trim(), "/app");
    let first = run(&cluster, &["create", "-s", "/app/job-", "a"]);
    let second = run(&cluster, &["create", "-s", "/app/job-", "b"]);
    assert_eq!(first.trim(), "/app/job-0000000000");
    assert_eq!(second.trim(), "/app/job-0000000001");
    assert_eq!(run(&cluster, &["ls", "/app"]), "job-0000000000\njob-0000000001\n");
    assert_eq!(run(&cluster, &["get", "/app"]).trim(), "v1");

    run(&cluster, &["set", "-v", "0", "/app", "v2"]);
    let stat: serde_json::Value = serde_json::from_str(&run(&cluster, &["stat", "/app"])).unwrap();
    assert_eq!(stat["version"], 1);
    assert_eq!(stat["numChildren"], 2);
    assert!(run_failing(&cluster, &["set", "-v", "0", "/app", "v3"]).contains("version mismatch"));

    // An ephemeral node created from the command line ends with the command's session.
    assert_eq!(run(&cluster, &["create", "-e", "/app/lock", ""]).trim(), "/app/lock");
    assert!(run_failing(&cluster, &["get", "/app/lock"]).contains("no node"));

    assert!(run_failing(&cluster, &["delete", "/app"]).contains("has children"));
    run(&cluster, &["delete", "/app/job-0000000000"]);
    run(&cluster, &["delete", "-v", "0", "/app/job-0000000001"]);
    run(&cluster, &["delete", "/app"]);
    assert!(run_failing(&cluster, &["stat", "/app"]).contains("no node"));
}
