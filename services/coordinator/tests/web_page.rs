//! The client port serves the web page (open to all, like `/health`) next to the API, and
//! `/v1/status` lists the ensemble's members with their roles, which the page's ensemble view shows.

use std::time::Duration;

use corral_coordinator::api::client_router;
use corral_coordinator::config::PseudoCluster;
use corral_coordinator::node::CoordinatorNode;
use corral_testkit::eventually;
use corral_wire::coordinator::Status;

async fn get(base: &str, path: &str) -> (u16, String) {
    let answer = reqwest::get(format!("{base}{path}")).await.unwrap();
    (answer.status().as_u16(), answer.text().await.unwrap())
}

#[tokio::test]
async fn the_page_is_served_and_the_status_names_each_members_role() {
    let dir = tempfile::tempdir().unwrap();
    let ports = |_| corral_testkit::free_port();
    let cluster = PseudoCluster { nodes: 1, observers: 0, first_client_port: ports(()), first_peer_port: ports(()) };
    let node = CoordinatorNode::start(cluster.configs(dir.path()).remove(0), &Default::default()).await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = client_router(node, &Default::default());
    tokio::spawn(async move { axum::serve(listener, router).await });

    for (path, part) in [("/", "ui/page.js"), ("/ui/page.js", "v1/watch"), ("/ui/corral.js", "const Corral")] {
        let (status, body) = get(&base, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(body.contains(part), "{path} lacks {part:?}");
    }

    let status = eventually("the node to lead", Duration::from_secs(10), || async {
        let (_, body) = get(&base, "/v1/status").await;
        let status: Status = serde_json::from_str(&body).ok()?;
        (status.mode == "leader").then_some(status)
    })
    .await;
    let members: Vec<(u64, &str, Option<u64>)> =
        status.members.iter().map(|member| (member.id, member.role.as_str(), member.matched_zxid)).collect();
    assert_eq!(members.len(), 1, "{members:?}");
    assert_eq!((members[0].0, members[0].1), (1, "leader"));
    assert_eq!(status.members[0].client, cluster.configs(dir.path())[0].client_advertise());
}
