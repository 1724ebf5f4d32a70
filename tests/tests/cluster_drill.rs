//! The whole cluster under traffic, killed one leader at a time: an app with two tasks behind
//! corral-lb answers a request every 50 ms through HAProxy while the test kills -9, in turn, the
//! coordinator leader, the leading master, the leading marathon, an agent and the lb, and starts
//! each again. Afterwards the app, its versions and its two tasks (the same ones: nothing ran
//! twice or was replaced) are all there, and the longest gap in traffic after each kill is printed
//! and held under [`RECOVERY_BOUND`].

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corral_testkit::{
    eventually, port_echo_app, LbProcess, MarathonCluster, MarathonClusterOptions, MesosClusterOptions,
};
use serde_json::{json, Value};

/// The longest traffic may fail after a kill.
const RECOVERY_BOUND: Duration = Duration::from_secs(10);

/// Every probe: when it was sent and whether it was answered 200.
type Probes = Arc<Mutex<Vec<(Instant, bool)>>>;

/// The longest run of failed probes sent after `since`.
fn longest_gap(probes: &Probes, since: Instant) -> Duration {
    let probes = probes.lock().unwrap();
    let (mut longest, mut failing_since) = (Duration::ZERO, None);
    for (at, ok) in probes.iter().filter(|(at, _)| *at >= since) {
        match (ok, failing_since) {
            (false, None) => failing_since = Some(*at),
            (true, Some(start)) => {
                longest = longest.max(at.duration_since(start));
                failing_since = None;
            }
            _ => {}
        }
    }
    if let Some(start) = failing_since {
        longest = longest.max(Instant::now().duration_since(start));
    }
    longest
}

/// The app's tasks (id and ports) and its versions, as marathon lists them.
async fn app_record(cluster: &MarathonCluster) -> Value {
    let app = cluster.app("/web").await;
    let mut tasks: Vec<Value> =
        app["tasks"].as_array().unwrap().iter().map(|task| json!([task["id"], task["state"], task["ports"]])).collect();
    tasks.sort_by_key(Value::to_string);
    let versions = cluster.get_json("/v2/apps/web/versions").await;
    json!({"instances": app["instances"], "tasks": tasks, "versions": versions["versions"]})
}

#[tokio::test(flavor = "multi_thread")]
async fn killing_each_leader_in_turn_loses_nothing_and_traffic_comes_back_in_bound() {
    let options = MarathonClusterOptions {
        mesos: MesosClusterOptions { coordinator_nodes: 3, masters: 2, agents: 2, ..MesosClusterOptions::default() },
        marathons: 2,
        ..MarathonClusterOptions::default()
    };
    let mut cluster = MarathonCluster::start(options).await;
    let mut lb = LbProcess::start(&cluster, &[]).await;
    let app = port_echo_app("/web", 2, json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.test"}));
    assert_eq!(cluster.post_app(&app).await.0, 201);
    cluster.wait_for_running("/web", 2).await;
    cluster.wait_for_deployments_done().await;
    eventually("web.test served through HAProxy", Duration::from_secs(20), || async {
        (lb.get("web.test", "/port.txt").await.0 == 200).then_some(())
    })
    .await;
    let before = app_record(&cluster).await;

    let probes: Probes = Arc::default();
    let probing = {
        let (probes, url) = (probes.clone(), lb.http_url("/port.txt"));
        tokio::spawn(async move {
            let http = reqwest::Client::builder().timeout(Duration::from_secs(1)).build().unwrap();
            loop {
                let sent = Instant::now();
                let ok = http.get(&url).header("host", "web.test").send().await.is_ok_and(|r| r.status() == 200);
                probes.lock().unwrap().push((sent, ok));
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };

    let mut gaps = Vec::new();
    for victim in ["coordinator leader", "leading master", "leading marathon", "an agent", "the lb"] {
        let killed_at = Instant::now();
        match victim {
            "coordinator leader" => {
                let leader = cluster.mesos.coordinator.leader().await;
                cluster.mesos.coordinator.kill(leader);
                tokio::time::sleep(Duration::from_secs(3)).await;
                cluster.mesos.coordinator.restart(leader);
            }
            "leading master" => {
                let leader = cluster.mesos.leading_master().await;
                let master = cluster.mesos.masters.iter_mut().find(|master| master.addr == leader).unwrap();
                master.process.kill();
                tokio::time::sleep(Duration::from_secs(3)).await;
                master.process.restart();
            }
            "leading marathon" => {
                let leader = cluster.leader_index().await;
                cluster.marathons[leader].process.kill();
                tokio::time::sleep(Duration::from_secs(3)).await;
                cluster.marathons[leader].process.restart();
            }
            "an agent" => {
                cluster.mesos.agents[0].process.kill();
                tokio::time::sleep(Duration::from_secs(3)).await;
                cluster.mesos.agents[0].process.restart();
            }
            _ => {
                lb.process.kill();
                tokio::time::sleep(Duration::from_secs(3)).await;
                lb.process.restart();
            }
        }
        // Back to normal: the cluster has its leaders and the app its two running tasks.
        cluster.mesos.wait_for_agents(2).await;
        cluster.wait_for_running("/web", 2).await;
        eventually("traffic through HAProxy", RECOVERY_BOUND, || async {
            (lb.get("web.test", "/port.txt").await.0 == 200).then_some(())
        })
        .await;
        tokio::time::sleep(Duration::from_secs(1)).await;
        let gap = longest_gap(&probes, killed_at);
        println!("killed {victim}: the longest gap in traffic was {gap:?}");
        gaps.push((victim, gap));
    }
    probing.abort();

    let after = app_record(&cluster).await;
    assert_eq!(after, before, "the app, its versions or its tasks changed");
    let answered = probes.lock().unwrap().iter().filter(|(_, ok)| *ok).count();
    println!("{answered} of {} requests answered; bound {RECOVERY_BOUND:?}", probes.lock().unwrap().len());
    for (victim, gap) in gaps {
        assert!(gap <= RECOVERY_BOUND, "after killing {victim} traffic failed for {gap:?}");
    }
}
