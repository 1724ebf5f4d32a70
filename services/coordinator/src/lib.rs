//! The Corral coordinator: ZooKeeper's data model and sessions over HTTP, replicated with openraft.

pub mod applied;
pub mod machine;
pub mod raft;
pub mod tree;
pub mod watch_history;
