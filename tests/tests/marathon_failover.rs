//! Two marathon instances: the one that does not lead proxies API calls to the leader (reads and
//! a POST, answered with the leader's `X-Marathon-Leader`) and relays `/v2/events`. After
//! `kill -9` of the leader the other leads within 5 s, knows every app and task (same task ids,
//! TASK_RUNNING), and no task is restarted: the task processes are the same. A leader that
//! abdicates (`DELETE /v2/leader`) or is stopped with SIGTERM (an event stream open on it) gives
//! its session up, so the other leads well within the session timeout.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use corral_testkit::{
    app_summary, patience, send_json, EventStream, MarathonCluster, MarathonClusterOptions, MesosClusterOptions,
    ServiceProcess,
};
use reqwest::Method;
use serde_json::{json, Value};

fn sleeper(id: &str, instances: u32) -> Value {
    json!({"id": id, "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": instances, "portDefinitions": []})
}

/// Every app's task ids and states, by app id.
fn tasks_by_app(apps: &Value) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut by_app = BTreeMap::new();
    for app in apps["apps"].as_array().expect("{\"apps\": [...]}") {
        let tasks = app["tasks"].as_array().into_iter().flatten();
        let tasks = tasks.map(|task| (task["id"].as_str().unwrap().into(), task["state"].as_str().unwrap().into()));
        by_app.insert(app["id"].as_str().unwrap().to_string(), tasks.collect());
    }
    by_app
}

#[tokio::test(flavor = "multi_thread")]
async fn the_other_instance_leads_within_5_s_and_restarts_no_task() {
    let options = MarathonClusterOptions { marathons: 2, ..MarathonClusterOptions::default() };
    let mut cluster = MarathonCluster::start(options).await;
    let leader = cluster.leader_index().await;
    let standby = 1 - leader;
    let leader_addr = cluster.marathons[leader].addr.clone();
    let standby_addr = cluster.marathons[standby].addr.clone();
    let http = cluster.http().clone();
    let standby_url = |path: &str| format!("http://{standby_addr}{path}");
    // The standby may name the leader before the leader has taken office.
    leads_after(&http, &cluster.marathons[leader], Instant::now(), &cluster.log_tails()).await;

    let (status, _, answer) = send_json(&http, Method::GET, &standby_url("/v2/leader"), None).await;
    assert_eq!((status, answer), (200, json!({"leader": leader_addr})), "the standby names the leader");
    let (status, _, info) = send_json(&http, Method::GET, &cluster.marathons[leader].url("/v2/info"), None).await;
    assert_eq!((status, &info["elected"]), (200, &json!(true)), "/v2/info of the leader: {info}");

    let (status, _, body) = cluster.post_app(&sleeper("/ha", 2)).await;
    assert_eq!(status, 201, "POST /v2/apps to the leader: {body}\n{}", cluster.log_tails());
    let (status, headers, body) =
        send_json(&http, Method::POST, &standby_url("/v2/apps"), Some(sleeper("/ha-proxied", 1).to_string())).await;
    assert_eq!(status, 201, "POST /v2/apps through the standby: {body}\n{}", cluster.log_tails());
    assert!(headers.contains_key("location") && headers.contains_key("marathon-deployment-id"), "{headers:?}");
    let leader_header = headers.get("x-marathon-leader").and_then(|v| v.to_str().ok());
    assert_eq!(leader_header, Some(format!("http://{leader_addr}").as_str()), "{headers:?}");
    cluster.wait_for_running("/ha", 2).await;
    cluster.wait_for_running("/ha-proxied", 1).await;
    cluster.wait_for_deployments_done().await;

    let via_leader = cluster.get_json("/v2/apps?embed=apps.tasks").await;
    let (status, headers, via_standby) =
        send_json(&http, Method::GET, &standby_url("/v2/apps?embed=apps.tasks"), None).await;
    assert_eq!(status, 200, "GET /v2/apps through the standby: {via_standby}");
    assert!(headers.contains_key("x-marathon-leader"), "a proxied answer comes from the leader: {headers:?}");
    assert_eq!(via_standby, via_leader, "the standby answers what the leader answers");
    // The standby relays the leader's event stream itself (a page it serves cannot follow a
    // redirect to another origin); marathon-lb reads it the same way.
    let mut relayed = EventStream::open(&standby_url("/v2/events")).await;
    let attached = relayed.next(Duration::from_secs(10)).await.map(|(kind, _)| kind);
    assert_eq!(attached.as_deref(), Some("event_stream_attached"), "the standby relays /v2/events");
    drop(relayed);

    let tasks_before = tasks_by_app(&via_leader);
    assert_eq!(tasks_before.values().map(BTreeMap::len).sum::<usize>(), 3, "{tasks_before:?}");
    let pids_before = cluster.mesos.task_processes();
    assert!(pids_before.len() >= 3, "the tasks run as processes (a shell and its command): {pids_before:?}");

    let killed_at = Instant::now();
    cluster.marathons[leader].process.kill();
    let leads = loop {
        let (status, answer) = match http.get(standby_url("/v2/leader")).send().await {
            Ok(response) => (response.status().as_u16(), response.json::<Value>().await.unwrap_or_default()),
            Err(error) => (0, json!(error.to_string())),
        };
        if status == 200 && answer["leader"] == standby_addr.as_str() {
            break killed_at.elapsed();
        }
        assert!(
            killed_at.elapsed() < patience(Duration::from_secs(15)),
            "the standby does not lead: /v2/leader {status} {answer}\n{}",
            cluster.log_tails()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    println!("the standby leads {:.2} s after the leader was killed", leads.as_secs_f64());
    assert!(leads < patience(Duration::from_secs(5)), "the standby took {leads:?} to lead\n{}", cluster.log_tails());
    let (_, _, info) = send_json(&http, Method::GET, &standby_url("/v2/info"), None).await;
    assert_eq!(info["elected"], true, "/v2/info of the new leader: {info}");
    assert_eq!(info["leader"], standby_addr.as_str(), "/v2/info of the new leader: {info}");

    let wanted = tasks_before.clone();
    cluster
        .wait_until("the new leader to know every app and task", Duration::from_secs(15), || async {
            let (status, _, apps) =
                send_json(&http, Method::GET, &standby_url("/v2/apps?embed=apps.tasks"), None).await;
            let running =
                apps["apps"].as_array().into_iter().flatten().all(|app| app["tasksRunning"] == app["instances"]);
            match status == 200 && running && tasks_by_app(&apps) == wanted {
                true => Ok(()),
                false => Err(format!("{status} {apps}")),
            }
        })
        .await;
    // Past the re-subscription and its reconciliation: still the same tasks and processes.
    tokio::time::sleep(patience(Duration::from_secs(3))).await;
    let apps = cluster.get_json("/v2/apps?embed=apps.tasks").await;
    assert_eq!(tasks_by_app(&apps), tasks_before, "the same tasks: {apps}");
    for app in apps["apps"].as_array().unwrap() {
        let tasks = app["tasks"].as_array().unwrap();
        assert!(tasks.iter().all(|task| task["state"] == "TASK_RUNNING"), "{}", app_summary(app));
    }
    assert_eq!(cluster.mesos.task_processes(), pids_before, "no task was restarted");
    assert_eq!(cluster.get_json("/v2/deployments").await, json!([]), "the new leader started no deployment");
}

/// How long after `since` the instance `marathon` names itself on its own `/v2/leader`.
async fn leads_after(http: &reqwest::Client, marathon: &ServiceProcess, since: Instant, logs: &str) -> Duration {
    loop {
        let answer = match http.get(marathon.url("/v2/leader")).send().await {
            Ok(response) => response.json::<Value>().await.unwrap_or_default(),
            Err(_) => Value::Null,
        };
        if answer["leader"] == marathon.addr.as_str() {
            return since.elapsed();
        }
        assert!(since.elapsed() < Duration::from_secs(20), "{} does not lead: {answer}\n{logs}", marathon.addr);
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until `marathon`'s process has exited (5 s at most) and answers its exit status.
async fn exited(marathon: &mut ServiceProcess) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(status) = marathon.process.exit_status() {
            return status;
        }
        assert!(Instant::now() < deadline, "{} still runs:\n{}", marathon.addr, marathon.log_tail());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_leader_that_abdicates_or_gets_sigterm_hands_over_well_within_the_session_timeout() {
    const SESSION_TIMEOUT: Duration = Duration::from_secs(6);
    let options = MarathonClusterOptions {
        mesos: MesosClusterOptions { agents: 0, ..MesosClusterOptions::default() },
        marathons: 2,
        marathon_args: vec!["--session-timeout-ms".into(), SESSION_TIMEOUT.as_millis().to_string()],
    };
    let mut cluster = MarathonCluster::start(options).await;
    let first = cluster.leader_index().await;
    let second = 1 - first;
    let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
    // The other instance may name the leader before the leader has taken office.
    leads_after(&http, &cluster.marathons[first], Instant::now(), &cluster.log_tails()).await;

    let abdicated_at = Instant::now();
    let answer = http.delete(cluster.marathons[first].url("/v2/leader")).send().await.unwrap();
    assert_eq!(answer.status(), 200, "DELETE /v2/leader on the leader");
    let took = leads_after(&http, &cluster.marathons[second], abdicated_at, &cluster.log_tails()).await;
    println!("the other instance leads {:.2} s after the leader abdicated", took.as_secs_f64());
    assert!(took < SESSION_TIMEOUT / 3, "the other instance took {took:?} to lead after an abdication");
    exited(&mut cluster.marathons[first]).await;

    // The abdicated instance comes back as a standby; the leader gets SIGTERM with a client
    // following its events, whose stream would keep its server from ever finishing.
    cluster.marathons[first].process.restart();
    assert_eq!(cluster.leader_index().await, second);
    let streams = reqwest::Client::new();
    let events = streams
        .get(cluster.marathons[second].url("/v2/events"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(events.status(), 200, "GET /v2/events on the leader");
    let stopped_at = Instant::now();
    cluster.marathons[second].process.terminate();
    let took = leads_after(&http, &cluster.marathons[first], stopped_at, &cluster.log_tails()).await;
    println!("the standby leads {:.2} s after SIGTERM to the leader", took.as_secs_f64());
    assert!(took < SESSION_TIMEOUT / 3, "the standby took {took:?} to lead after a SIGTERM to the leader");
    let status = exited(&mut cluster.marathons[second]).await;
    assert!(status.success(), "a SIGTERM is a clean stop: {status}\n{}", cluster.marathons[second].log_tail());
    drop(events);
}
