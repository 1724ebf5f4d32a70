//! The Corral coordinator: ZooKeeper's data model and sessions over HTTP, replicated with openraft.

pub mod api;
pub mod applied;
pub mod cli;
pub mod config;
pub mod machine;
pub mod node;
pub mod proposer;
pub mod raft;
pub mod request_stats;
pub mod serve;
pub mod session_deadlines;
pub mod tree;
pub mod watch_history;
