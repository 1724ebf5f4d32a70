//! Serde types of every Corral wire format (coordinator, Mesos v1, agent protocol, Marathon v2),
//! shared by the services that speak them and the clients that call them. This crate does no IO: it only names the shapes that travel over HTTP, plus the
//! pure arithmetic on them that several services need (`mesos::ResourceSet`, `mesos::recordio`).

pub mod agent_api;
pub mod coordinator;
pub mod error;
pub mod marathon;
pub mod mesos;

pub use error::ErrorBody;
