//! `openapi/agent.yaml` and the agent's router must agree: every documented operation is
//! served, and every served route and method is documented (`corral_testkit::served_operations`).

mod support;

use std::sync::Arc;

use corral_agent::api::{router, routes, ApiState};
use corral_agent::sandbox::SandboxRoot;
use corral_testkit::{documented_operations, served_operations};

#[tokio::test]
async fn the_spec_and_the_router_agree() {
    let dir = tempfile::tempdir().unwrap();
    let agent = support::agent_on(dir.path(), vec![]).await;
    let router = router(
        Arc::new(ApiState { agents: vec![agent], sandboxes: SandboxRoot::new(dir.path()) }),
        &Default::default(),
    );
    let paths = routes().into_iter().map(|(path, _)| path);
    assert_eq!(served_operations(router, paths).await, documented_operations("agent.yaml"));
}
