//! The replicated state machine: the znode tree plus the session table, changed only by
//! [`Proposal`]s taken from the raft log, in log order. Pure: no IO, no clock (the leader stamps
//! each proposal with its time), so every replica that applies the same log holds the same state.

use std::collections::BTreeMap;

use corral_wire::coordinator::{MultiOp, MultiResult, WatchEvent};
use serde::{Deserialize, Serialize};

use crate::tree::{validate_path, Limits, TreeError, ZnodeTree};

/// A change to the coordinator, as written to the raft log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Command {
    /// One or more tree operations, all or nothing. `session` owns the ephemerals created.
    Write { ops: Vec<MultiOp>, session: Option<u64> },
    CreateSession { timeout_ms: u64 },
    CloseSession { session_id: u64 },
    /// Proposed by the leader for sessions whose heartbeats stopped.
    ExpireSessions { session_ids: Vec<u64> },
}

/// A command with the leader's wall-clock time, which becomes `ctime`/`mtime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub time_ms: u64,
    pub command: Command,
}

/// What applying a command produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    Written { results: Vec<MultiResult> },
    SessionCreated { session_id: u64, timeout_ms: u64 },
    SessionsClosed { session_ids: Vec<u64> },
    /// A membership or blank log entry: nothing changed in the tree.
    Nothing,
}

/// The result of a command, carried back to the client that proposed it.
pub type CommandResult = Result<Outcome, TreeError>;

/// A live session as the replicated state knows it (heartbeats are not replicated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEntry {
    pub timeout_ms: u64,
}

/// The tree and the sessions: everything a snapshot holds besides raft's own metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinatorState {
    pub tree: ZnodeTree,
    pub sessions: BTreeMap<u64, SessionEntry>,
}

impl CoordinatorState {
    /// Applies the proposal of log entry `zxid`. Refused writes change nothing.
    pub fn apply(&mut self, zxid: u64, proposal: &Proposal) -> (CommandResult, Vec<WatchEvent>) {
        let time_ms = proposal.time_ms;
        match &proposal.command {
            Command::Write { ops, session } => {
                if let Some(session_id) = session {
                    let creates_ephemeral =
                        ops.iter().any(|op| matches!(op, MultiOp::Create { mode, .. } if mode.is_ephemeral()));
                    if creates_ephemeral && !self.sessions.contains_key(session_id) {
                        return (Err(TreeError::SessionExpired { session_id: *session_id }), Vec::new());
                    }
                }
                match self.tree.apply(ops, *session, zxid, time_ms) {
                    Ok((results, events)) => (Ok(Outcome::Written { results }), events),
                    Err(error) => (Err(error), Vec::new()),
                }
            }
            Command::CreateSession { timeout_ms } => {
                // The log index is unique and never reused, so it names the session.
                self.sessions.insert(zxid, SessionEntry { timeout_ms: *timeout_ms });
                let outcome = Outcome::SessionCreated {
                    session_id: zxid,
                    timeout_ms: *timeout_ms,
                };
                (Ok(outcome), Vec::new())
            }
            Command::CloseSession { session_id } => {
                if !self.sessions.contains_key(session_id) {
                    return (Err(TreeError::SessionExpired { session_id: *session_id }), Vec::new());
                }
                let events = self.end_session(*session_id, zxid, time_ms);
                let outcome = Outcome::SessionsClosed {
                    session_ids: vec![*session_id],
                };
                (Ok(outcome), events)
            }
            Command::ExpireSessions { session_ids } => {
                let mut events = Vec::new();
                let mut closed = Vec::new();
                for &session_id in session_ids {
                    if self.sessions.contains_key(&session_id) {
                        events.extend(self.end_session(session_id, zxid, time_ms));
                        closed.push(session_id);
                    }
                }
                (Ok(Outcome::SessionsClosed { session_ids: closed }), events)
            }
        }
    }

    fn end_session(&mut self, session_id: u64, zxid: u64, time_ms: u64) -> Vec<WatchEvent> {
        self.sessions.remove(&session_id);
        self.tree.delete_ephemerals(session_id, zxid, time_ms)
    }
}

/// Checks what can be checked before a command is proposed, against this node's limits. The
/// tree checks everything else when the command is applied.
pub fn validate_command(command: &Command, limits: &Limits) -> Result<(), TreeError> {
    let Command::Write { ops, .. } = command else {
        return Ok(());
    };
    if ops.is_empty() {
        return Err(TreeError::EmptyMulti);
    }
    for op in ops {
        let (path, data, trailing_slash) = match op {
            MultiOp::Create { path, data, mode } => (path, Some(data), mode.is_sequential()),
            MultiOp::Set { path, data, .. } => (path, Some(data), false),
            MultiOp::Delete { path, .. } | MultiOp::Check { path, .. } => (path, None, false),
        };
        validate_path(path, trailing_slash)?;
        if let Some(data) = data {
            if data.len() as u64 > limits.max_data_bytes {
                return Err(TreeError::DataTooLarge {
                    path: path.clone(),
                    size: data.len() as u64,
                    limit: limits.max_data_bytes,
                });
            }
        }
    }
    Ok(())
}
