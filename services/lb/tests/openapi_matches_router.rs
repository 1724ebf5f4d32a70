//! `openapi/lb.yaml` and the lb's router must agree: every documented operation is served, and
//! every served route and method is documented (`corral_testkit::served_operations`).

use std::sync::Arc;

use corral_lb::api::{router, routes};
use corral_lb::balancer::LbState;
use corral_testkit::{documented_operations, served_operations};

#[tokio::test]
async fn the_spec_and_the_router_agree() {
    let router = router(Arc::new(LbState::default()), &Default::default());
    let paths = routes().into_iter().map(|(path, _)| path);
    assert_eq!(served_operations(router, paths).await, documented_operations("lb.yaml"));
}
