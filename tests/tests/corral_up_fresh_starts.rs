//! Twenty fresh `corral up` in a row, each into an empty directory, come up without restarting
//! anything: a master and marathon that lose their coordinator session at start-up (the race the
//! reliability issue found, a session expired 1.3 s after it was made) would show as
//! `corral: master exited ... restarting it`.

use std::time::Duration;

use corral_testkit::{binary, eventually, free_port, ChildProcess};

const STARTS: usize = 20;

/// The cluster's logs, for a start that went wrong.
fn logs(dir: &std::path::Path) -> String {
    ["corral.log", "coordinator1.log", "master.log", "marathon.log", "agent1.log"]
        .iter()
        .map(|name| format!("== {name}\n{}", std::fs::read_to_string(dir.join(name)).unwrap_or_default()))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_fresh_starts_restart_nothing() {
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    for start in 1..=STARTS {
        let dir = tempfile::tempdir().unwrap();
        let (master, marathon) = (free_port(), free_port());
        let mut args: Vec<String> = vec!["up".into(), "--dir".into(), dir.path().display().to_string()];
        let ports = [
            ("--master-port", master),
            ("--marathon-port", marathon),
            ("--coordinator-port", free_port()),
            ("--coordinator-peer-port", free_port()),
            ("--agent-port", free_port()),
            ("--lb-http-port", free_port()),
            ("--lb-https-port", free_port()),
            ("--lb-stats-port", free_port()),
            ("--lb-api-port", free_port()),
        ];
        for (flag, port) in ports {
            args.extend([flag.to_string(), port.to_string()]);
        }
        args.extend(["--agents".into(), "1".into(), "--containerizers".into(), "process".into()]);
        let log = dir.path().join("corral.log");
        let mut up = ChildProcess::spawn(&binary("corral"), &args, &log);
        let led = tokio::time::timeout(
            Duration::from_secs(30),
            eventually("the master and marathon to lead", Duration::from_secs(31), || async {
                let state: serde_json::Value =
                    http.get(format!("http://127.0.0.1:{master}/master/state")).send().await.ok()?.json().await.ok()?;
                let subscribed =
                    state["frameworks"].as_array()?.iter().any(|framework| framework["name"] == "marathon");
                let marathon_leads =
                    http.get(format!("http://127.0.0.1:{marathon}/v2/leader")).send().await.ok()?.status().is_success();
                (subscribed && marathon_leads && state["slaves"].as_array()?.len() == 1).then_some(())
            }),
        )
        .await;
        assert!(led.is_ok(), "start {start} of {STARTS} did not come up:\n{}", logs(dir.path()));
        // Sessions are 3-4 s: a lost one would have shown by now.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let output = std::fs::read_to_string(&log).unwrap();
        assert!(!output.contains("restarting"), "start {start} of {STARTS} restarted a process:\n{}", logs(dir.path()));
        assert!(up.stop(Duration::from_secs(15)).await, "corral up did not stop on SIGTERM");
    }
}
