//! `openapi/master.yaml` and the master's router must agree: every documented operation is
//! served and every served route and method is documented (`corral_testkit::served_operations`),
//! the web page at `/` included.

use std::sync::Arc;

use clap::Parser;
use corral_master::api::{router, routes};
use corral_master::config::{MasterArgs, MasterConfig};
use corral_master::serve::master_info;
use corral_master::service::MasterService;
use corral_testkit::{documented_operations, served_operations};

#[tokio::test]
async fn the_spec_and_the_router_agree() {
    let args = MasterArgs::try_parse_from(["corral-master", "--coordinator", "127.0.0.1:1"]).unwrap();
    let config = MasterConfig::from_args(&args).unwrap();
    let info = master_info(&config);
    let (_leader, discovered) = tokio::sync::watch::channel(None);
    let app = router(Arc::new(MasterService::new(config, info, discovered)));
    // The page at `/` is served by `corral_kit::ui` beside the API's routes, and documented with them.
    let paths = routes().into_iter().map(|(path, _)| path).chain(["/"]);
    assert_eq!(served_operations(app, paths).await, documented_operations("master.yaml"));
}
