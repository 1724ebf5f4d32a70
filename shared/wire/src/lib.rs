//! Serde types of every Corral wire format (coordinator, Mesos v1, agent protocol, Marathon v2, the
//! drain protocol between marathon and the load balancers), shared by the services that speak them
//! and the clients that call them. This crate does no IO: it only names the shapes that travel over
//! HTTP (and the znodes of the drain protocol), plus the pure arithmetic on them that several
//! services need (`mesos::ResourceSet`, `mesos::recordio`).

pub mod agent_api;
pub mod coordinator;
pub mod error;
pub mod lb;
pub mod marathon;
pub mod mesos;

pub use error::ErrorBody;
