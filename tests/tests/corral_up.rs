//! `corral up` starts a working local cluster with one command: a coordinator, a master that
//! leads, agents registered with it, marathon and the load balancer (HAProxy), all as local
//! processes. An app POSTed to marathon runs, answers on its host port and through HAProxy by its
//! vhost, and shows in the master's state; SIGTERM stops them all. A load balancer port that is
//! taken stops `corral up` before anything starts, naming the flag.

use std::time::Duration;

use corral_testkit::{binary, eventually, free_port, ChildProcess};

#[tokio::test(flavor = "multi_thread")]
async fn corral_up_runs_a_cluster_and_stops_it() {
    let dir = tempfile::tempdir().unwrap();
    let (master, coordinator, peer, agent) = (free_port(), free_port(), free_port(), free_port());
    let marathon = free_port();
    let (lb_http, lb_https, lb_stats, lb_api) = (free_port(), free_port(), free_port(), free_port());
    let lb_flags = [
        ("--lb-http-port", lb_http),
        ("--lb-https-port", lb_https),
        ("--lb-stats-port", lb_stats),
        ("--lb-api-port", lb_api),
    ];
    let mut args: Vec<String> = [
        "up",
        "--dir",
        &dir.path().display().to_string(),
        "--agents",
        "2",
        "--containerizers",
        "process",
        "--master-port",
        &master.to_string(),
        "--marathon-port",
        &marathon.to_string(),
        "--coordinator-port",
        &coordinator.to_string(),
        "--coordinator-peer-port",
        &peer.to_string(),
        "--agent-port",
        &agent.to_string(),
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    for (flag, port) in lb_flags {
        args.extend([flag.to_string(), port.to_string()]);
    }

    // A taken port: an error naming its flag, before anything starts.
    let taken = std::net::TcpListener::bind("0.0.0.0:0").unwrap();
    let taken_port = taken.local_addr().unwrap().port().to_string();
    let mut refused = args.clone();
    let at = refused.iter().position(|arg| arg == "--lb-stats-port").unwrap();
    refused[at + 1] = taken_port.clone();
    let output = std::process::Command::new(binary("corral")).args(&refused).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "corral up started with --lb-stats-port taken");
    assert!(stderr.contains(&format!("--lb-stats-port: cannot listen on 127.0.0.1:{taken_port}")), "{stderr}");
    drop(taken);

    let mut up = ChildProcess::spawn(&binary("corral"), &args, &dir.path().join("corral.log"));
    let http = reqwest::Client::new();
    eventually("two agents registered with a leading master", Duration::from_secs(30), || async {
        let state: serde_json::Value =
            http.get(format!("http://127.0.0.1:{master}/master/state")).send().await.ok()?.json().await.ok()?;
        (state["slaves"].as_array()?.len() == 2 && state["elected_time"].is_number()).then_some(())
    })
    .await;
    let page = http.get(format!("http://127.0.0.1:{master}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Corral master"), "the web UI is served");

    let app = serde_json::json!({
        "id": "/hello", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
        "cpus": 0.1, "mem": 32, "instances": 1, "portDefinitions": [{"port": 0}],
        "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "hello.test"}
    });
    let marathon_url = format!("http://127.0.0.1:{marathon}");
    eventually("marathon to lead", Duration::from_secs(30), || async {
        http.get(format!("{marathon_url}/v2/leader")).send().await.ok()?.status().is_success().then_some(())
    })
    .await;
    let created = http.post(format!("{marathon_url}/v2/apps")).json(&app).send().await.unwrap();
    assert_eq!(created.status(), 201);
    let port = eventually("the app to run", Duration::from_secs(30), || async {
        let app: serde_json::Value =
            http.get(format!("{marathon_url}/v2/apps/hello")).send().await.ok()?.json().await.ok()?;
        let task = app["app"]["tasks"].as_array()?.iter().find(|task| task["state"] == "TASK_RUNNING")?.clone();
        task["ports"][0].as_u64()
    })
    .await;
    assert!((31_000..32_000).contains(&port), "host port {port}");
    eventually("the task to answer HTTP on its host port", Duration::from_secs(20), || async {
        http.get(format!("http://127.0.0.1:{port}/")).send().await.ok()?.status().is_success().then_some(())
    })
    .await;
    eventually("the task to answer through HAProxy by its vhost", Duration::from_secs(20), || async {
        let url = format!("http://127.0.0.1:{lb_http}/");
        http.get(url).header("host", "hello.test").send().await.ok()?.status().is_success().then_some(())
    })
    .await;
    let state: serde_json::Value =
        http.get(format!("http://127.0.0.1:{master}/master/state")).send().await.unwrap().json().await.unwrap();
    let framework = &state["frameworks"][0];
    assert_eq!(framework["name"], "marathon");
    assert_eq!(framework["tasks"][0]["state"], "TASK_RUNNING", "the master shows marathon's task: {framework}");
    let page = http.get(format!("{marathon_url}/")).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("Marathon"), "marathon's web UI is served");
    // Tasks outlive `corral up` by design: the app goes first, so that nothing is left behind.
    let deleted = http.delete(format!("{marathon_url}/v2/apps/hello")).send().await.unwrap();
    assert_eq!(deleted.status(), 200);
    eventually("the task to stop", Duration::from_secs(20), || async {
        http.get(format!("http://127.0.0.1:{port}/")).send().await.is_err().then_some(())
    })
    .await;

    assert!(up.stop(Duration::from_secs(15)).await, "corral up did not stop on SIGTERM");
    eventually("every service and HAProxy to stop", Duration::from_secs(10), || async {
        let master_down = http.get(format!("http://127.0.0.1:{master}/health")).send().await.is_err();
        let haproxy_down = http.get(format!("http://127.0.0.1:{lb_http}/")).send().await.is_err();
        (master_down && haproxy_down).then_some(())
    })
    .await;
}
