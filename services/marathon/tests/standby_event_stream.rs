//! A standby relays the leader's `/v2/events` instead of redirecting to it, so that a page served
//! by the standby (which cannot follow a redirect to another origin) stays live: the stream
//! answers 200 from the standby itself, marked `X-Marathon-Via`, and carries the leader's events,
//! among them those of a change made through the standby.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use corral_coord_client::CoordClient;
use corral_marathon::api::{router, ApiState, Role};
use corral_marathon::config::{MarathonArgs, MarathonConfig};
use corral_marathon::engine::Engine;
use corral_marathon::events::EventBus;
use corral_testkit::{patience, serve_in_process, ClusterOptions, CoordinatorCluster};

fn config(cluster: &CoordinatorCluster, advertise: &str) -> MarathonConfig {
    let argv =
        ["corral-marathon", "--coordinator", &cluster.servers(), "--listen", "127.0.0.1:1", "--advertise", advertise];
    MarathonConfig::from_args(&MarathonArgs::try_parse_from(argv).unwrap()).unwrap()
}

/// Reads `response` until its text holds every one of `wanted`, or panics after a while.
async fn read_until(response: &mut reqwest::Response, seen: &mut String, wanted: &[&str]) {
    let deadline = tokio::time::Instant::now() + patience(Duration::from_secs(10));
    while !wanted.iter().all(|part| seen.contains(part)) {
        let chunk = tokio::time::timeout_at(deadline, response.chunk()).await;
        let chunk = chunk.unwrap_or_else(|_| panic!("no {wanted:?} on the stream; it carried:\n{seen}"));
        match chunk.expect("the stream reads") {
            Some(bytes) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            None => panic!("the stream ended before {wanted:?}; it carried:\n{seen}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_standby_relays_the_leaders_event_stream() {
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: 1, ..ClusterOptions::default() }).await;
    let leader_config = config(&cluster, "127.0.0.1:1");
    let events = EventBus::new(64);
    let leader_state = Arc::new(ApiState::new(leader_config.clone(), events.clone()));
    let client = CoordClient::new(leader_config.coordinator.clone());
    let engine = Engine::take_office(leader_config, client, events).await.expect("marathon takes office");
    leader_state.set_role(Role::Leading(engine));
    let leader = serve_in_process(router(leader_state)).await;

    let standby_state = Arc::new(ApiState::new(config(&cluster, "127.0.0.1:2"), EventBus::new(16)));
    standby_state.set_role(Role::Following(leader.to_string()));
    let standby = serve_in_process(router(standby_state)).await;

    let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut stream =
        http.get(format!("http://{standby}/v2/events")).header("accept", "text/event-stream").send().await.unwrap();
    assert_eq!(stream.status(), 200, "the standby answers the stream itself: {:?}", stream.headers());
    let headers = stream.headers();
    assert_eq!(headers["x-marathon-via"], "1.1 127.0.0.1:2", "{headers:?}");
    assert!(headers["content-type"].to_str().unwrap().starts_with("text/event-stream"), "{headers:?}");
    let mut seen = String::new();
    read_until(&mut stream, &mut seen, &["event: event_stream_attached"]).await;

    let app = serde_json::json!({"id": "/relayed", "cmd": "sleep 1000", "instances": 0});
    let created = http.post(format!("http://{standby}/v2/apps")).json(&app).send().await.unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    read_until(&mut stream, &mut seen, &["event: api_post_event", "\"/relayed\"", "event: deployment_info"]).await;
}
