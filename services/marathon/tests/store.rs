//! The marathon store against a real coordinator: apps and their versions, the framework id,
//! deployments, and deletion of an app with all its versions; everything read back as written.
//! Drain nodes: written once, read with the load balancers and their confirmations, deleted with
//! their confirmations.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use corral_coord_client::{CoordAddresses, CoordClient, CreateMode};
use corral_marathon::store::MarathonStore;
use corral_testkit::{ClusterOptions, CoordinatorCluster};
use corral_wire::lb::{DrainAnnouncement, LbMember};
use corral_wire::marathon::{AppDefinition, Timestamp};
use corral_wire::mesos::FrameworkId;

fn app(id: &str, instances: i32, millis: i64) -> AppDefinition {
    let mut app = AppDefinition::new(id);
    app.cmd = Some("sleep 100".into());
    app.instances = instances;
    app.version = Some(Timestamp::from_millis(millis));
    app
}

#[tokio::test(flavor = "multi_thread")]
async fn apps_versions_and_the_framework_id_survive_in_the_coordinator() {
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: 1, ..ClusterOptions::default() }).await;
    let client = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    let store = MarathonStore::open(client.clone(), "/corral/marathon", "/corral/lb").await.unwrap();

    assert_eq!(store.framework_id().await.unwrap(), None);
    store.save_framework_id(&FrameworkId::new("m-0001")).await.unwrap();
    store.save_app(&app("/shop/web", 3, 1_000)).await.unwrap();
    store.save_app(&app("/shop/web", 5, 2_000)).await.unwrap();
    store.save_app(&app("/shop/web", 5, 2_000)).await.unwrap();
    store.save_app(&app("/db", 1, 1_500)).await.unwrap();
    let mut unversioned = app("/x", 1, 0);
    unversioned.version = None;
    assert!(store.save_app(&unversioned).await.is_err());

    // A second store (another marathon instance, or one restarted) sees the same state.
    let reopened = MarathonStore::open(client, "/corral/marathon", "/corral/lb").await.unwrap();
    assert_eq!(reopened.framework_id().await.unwrap(), Some(FrameworkId::new("m-0001")));
    let mut ids: Vec<String> = reopened.apps().await.unwrap().records.into_iter().map(|app| app.id).collect();
    ids.sort();
    assert_eq!(ids, vec!["/db", "/shop/web"]);
    assert_eq!(reopened.app("/shop/web").await.unwrap(), Some(app("/shop/web", 5, 2_000)));
    let versions = reopened.versions("/shop/web").await.unwrap();
    assert_eq!(versions, vec![Timestamp::from_millis(1_000), Timestamp::from_millis(2_000)]);
    assert_eq!(reopened.version("/shop/web", versions[0]).await.unwrap(), Some(app("/shop/web", 3, 1_000)));

    reopened.delete_app("/shop/web").await.unwrap();
    assert_eq!(reopened.app("/shop/web").await.unwrap(), None);
    assert!(reopened.versions("/shop/web").await.unwrap().is_empty());
    assert_eq!(reopened.apps().await.unwrap().records.len(), 1);
    reopened.delete_app("/never-there").await.unwrap();

    let plan = serde_json::json!({"id": "d-1", "steps": [["StartApplication /db"]]});
    reopened.save_deployment("d-1", &plan).await.unwrap();
    assert_eq!(store.deployments::<serde_json::Value>().await.unwrap().records, vec![plan]);
    store.delete_deployment("d-1").await.unwrap();
    store.delete_deployment("d-1").await.unwrap();
    assert!(store.deployments::<serde_json::Value>().await.unwrap().records.is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn drain_nodes_are_announced_read_with_their_confirmations_and_deleted_with_them() {
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: 1, ..ClusterOptions::default() }).await;
    let client = CoordClient::new(CoordAddresses::parse(&cluster.servers()).unwrap());
    let store = MarathonStore::open(client.clone(), "/m", "/lb").await.unwrap();
    let paths = store.drain_paths().clone();
    let drain = |task: &str| DrainAnnouncement {
        task_id: task.to_string(),
        app_id: "/web".to_string(),
        host: "10.0.0.5".to_string(),
        ports: vec![31000],
    };
    assert_eq!(store.read_drains().await.unwrap().members, BTreeSet::new(), "no lb has registered yet");

    store.announce_drain(&drain("web.1")).await.unwrap();
    store.announce_drain(&drain("web.1")).await.unwrap();
    store.announce_drain(&drain("web.2")).await.unwrap();
    let written: DrainAnnouncement = serde_json::from_str(&client.get("/m/drains/web.1").await.unwrap().data).unwrap();
    assert_eq!(written, drain("web.1"));

    // An lb registers with its own session and confirms one drain.
    let session = client.create_session(Duration::from_secs(5)).await.unwrap();
    let member = serde_json::to_string(&LbMember { id: "lb-1".into(), address: "127.0.0.1:9095".into() }).unwrap();
    corral_coord_client::ensure_path(&client, &paths.members()).await.unwrap();
    client.create(&paths.member("lb-1"), member, CreateMode::Ephemeral, Some(session.id())).await.unwrap();
    client.create(&paths.confirmation("web.1", "lb-1"), "", CreateMode::Persistent, None).await.unwrap();
    let reading = store.read_drains().await.unwrap();
    assert_eq!(reading.members, BTreeSet::from(["lb-1".to_string()]));
    let expected = BTreeMap::from([
        ("web.1".to_string(), BTreeSet::from(["lb-1".to_string()])),
        ("web.2".to_string(), BTreeSet::new()),
    ]);
    assert_eq!(reading.drains, expected);
    assert!(reading.zxid > 0);

    store.delete_drain("web.1").await.unwrap();
    store.delete_drain("web.1").await.unwrap();
    assert_eq!(store.drained_tasks().await.unwrap(), vec!["web.2".to_string()]);
    assert!(client.exists("/m/drains/web.1").await.unwrap().is_none());
    // The member goes with its session.
    session.close().await.unwrap();
    assert!(store.read_drains().await.unwrap().members.is_empty());
}
