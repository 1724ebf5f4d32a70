//! Test-only helpers shared by every end-to-end test: find the real binaries, run them as child
//! processes on free loopback ports (killed when the test ends), start a coordinator cluster from
//! generated config files (optionally behind TCP proxies that partition it) or a whole coordinator +
//! masters + agents cluster, wait for conditions with a patience that CI can stretch, make fuzz
//! requests from the OpenAPI documents, check recorded histories for linearizability, and drive a real browser.

mod binary;
pub mod browser;
mod coordinator_cluster;
mod corral_up;
mod docker;
mod event_stream;
mod eventually;
mod fuzz;
mod in_process;
mod lb;
pub mod linearizable;
mod marathon_cluster;
mod mesos_cluster;
mod openapi;
mod peer_links;
mod process;

pub use binary::binary;
pub use coordinator_cluster::{ClusterOptions, CoordinatorCluster};
pub use corral_up::{CorralUp, UpPorts};
pub use docker::{containers_of, docker_ready, TEST_IMAGE};
pub use event_stream::EventStream;
pub use eventually::{eventually, patience};
pub use fuzz::{BodyKind, FuzzRequest, Location, OpenApi, Operation, Parameter};
pub use in_process::serve_in_process;
pub use lb::{port_echo_app, running_ports, LbProcess, Load, LoadReport};
pub use marathon_cluster::{app_summary, send_json, Answer, MarathonCluster, MarathonClusterOptions};
pub use mesos_cluster::{MesosCluster, MesosClusterOptions, ServiceProcess};
pub use openapi::{documented_operations, served_operations, Operations};
pub use peer_links::PeerLinks;
pub use process::{free_port, ChildProcess};
