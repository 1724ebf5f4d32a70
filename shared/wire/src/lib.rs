//! Serde types of every Corral wire format, shared by the services that speak them and the clients
//! that call them. This crate does no IO: it only names the shapes that travel over HTTP.

pub mod coordinator;
pub mod error;

pub use error::ErrorBody;
