//! The znode tree: ZooKeeper's data model as a pure, deterministic module.
//!
//! Nothing here does IO or reads a clock: every change is given its zxid and time by the caller
//! (the replicated state machine), so each replica computes the same tree from the same log.

mod error;
mod path;
mod txn;
mod znode_tree;

pub use error::TreeError;
pub use path::{parent_and_name, validate_path};
pub use znode_tree::{Limits, ZnodeTree};

#[cfg(test)]
mod tests;
