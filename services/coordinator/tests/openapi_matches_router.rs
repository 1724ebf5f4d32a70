//! The OpenAPI documents and the routers must agree: every documented operation is served, and
//! every served route and method is documented (`corral_testkit::served_operations`).

use std::sync::Arc;

use corral_coordinator::api::{client_router, client_routes, peer_router, peer_routes};
use corral_coordinator::config::{PseudoCluster, Role};
use corral_coordinator::node::CoordinatorNode;
use corral_testkit::{documented_operations, served_operations};

async fn single_node() -> (tempfile::TempDir, Arc<CoordinatorNode>) {
    let dir = tempfile::tempdir().unwrap();
    let ports = |_| corral_testkit::free_port();
    let cluster = PseudoCluster { nodes: 1, observers: 0, first_client_port: ports(()), first_peer_port: ports(()) };
    let config = cluster.configs(dir.path()).remove(0);
    assert_eq!(config.role, Role::Participant);
    let node = CoordinatorNode::start(config, &Default::default()).await.expect("the node starts");
    (dir, node)
}

#[tokio::test]
async fn the_client_spec_and_router_agree() {
    let (_dir, node) = single_node().await;
    let paths = client_routes().into_iter().map(|(path, _)| path);
    assert_eq!(
        served_operations(client_router(node, &Default::default()), paths).await,
        documented_operations("coordinator.yaml")
    );
}

#[tokio::test]
async fn the_peer_spec_and_router_agree() {
    let (_dir, node) = single_node().await;
    let paths = peer_routes().into_iter().map(|(path, _)| path);
    assert_eq!(
        served_operations(peer_router(node, &Default::default()), paths).await,
        documented_operations("coordinator-peer.yaml")
    );
}
