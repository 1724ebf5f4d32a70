//! The Corral coordinator: ZooKeeper's data model and sessions over HTTP, replicated with openraft.

pub mod machine;
pub mod tree;
