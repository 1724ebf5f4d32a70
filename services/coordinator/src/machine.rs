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
    Write {
        ops: Vec<MultiOp>,
        session: Option<u64>,
    },
    CreateSession {
        timeout_ms: u64,
    },
    CloseSession {
        session_id: u64,
    },
    /// Proposed by the leader for sessions whose heartbeats stopped.
    ExpireSessions {
        session_ids: Vec<u64>,
    },
}

/// One raft log entry: the commands the leader batched together (each applies, or is refused,
/// on its own) and the leader's wall-clock time, which becomes their `ctime`/`mtime`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Proposal {
    pub time_ms: u64,
    pub commands: Vec<Command>,
}

/// What applying a command produced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outcome {
    Written {
        results: Vec<MultiResult>,
    },
    SessionCreated {
        session_id: u64,
        timeout_ms: u64,
    },
    SessionsClosed {
        session_ids: Vec<u64>,
    },
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
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoordinatorState {
    pub tree: ZnodeTree,
    pub sessions: BTreeMap<u64, SessionEntry>,
    /// The id the next session gets; ids are never reused.
    pub next_session_id: u64,
}

impl Default for CoordinatorState {
    fn default() -> Self {
        CoordinatorState { tree: ZnodeTree::default(), sessions: BTreeMap::new(), next_session_id: 1 }
    }
}

impl CoordinatorState {
    /// Applies every command of log entry `zxid`, in order; they share the zxid like the
    /// operations of one multi.
    pub fn apply_proposal(&mut self, zxid: u64, proposal: &Proposal) -> (Vec<CommandResult>, Vec<WatchEvent>) {
        let mut events = Vec::new();
        let results = proposal
            .commands
            .iter()
            .map(|command| {
                let (result, command_events) = self.apply(zxid, proposal.time_ms, command);
                events.extend(command_events);
                result
            })
            .collect();
        (results, events)
    }

    /// Applies one command at `zxid`. A refused command changes nothing.
    pub fn apply(&mut self, zxid: u64, time_ms: u64, command: &Command) -> (CommandResult, Vec<WatchEvent>) {
        match command {
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
                let session_id = self.next_session_id;
                self.next_session_id += 1;
                self.sessions.insert(session_id, SessionEntry { timeout_ms: *timeout_ms });
                let outcome = Outcome::SessionCreated { session_id, timeout_ms: *timeout_ms };
                (Ok(outcome), Vec::new())
            }
            Command::CloseSession { session_id } => {
                if !self.sessions.contains_key(session_id) {
                    return (Err(TreeError::SessionExpired { session_id: *session_id }), Vec::new());
                }
                let events = self.end_session(*session_id, zxid, time_ms);
                let outcome = Outcome::SessionsClosed { session_ids: vec![*session_id] };
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

#[cfg(test)]
mod tests {
    use corral_wire::coordinator::{CreateMode, EventKind, ANY_VERSION};

    use super::*;

    fn write(ops: Vec<MultiOp>, session: Option<u64>) -> Command {
        Command::Write { ops, session }
    }

    fn create(path: &str, mode: CreateMode) -> MultiOp {
        create_with(path, "", mode)
    }

    fn create_with(path: &str, data: &str, mode: CreateMode) -> MultiOp {
        MultiOp::Create { path: path.to_string(), data: data.to_string(), mode }
    }

    fn event(zxid: u64, path: &str, kind: EventKind) -> WatchEvent {
        WatchEvent { zxid, path: path.to_string(), kind }
    }

    fn apply_ok(state: &mut CoordinatorState, zxid: u64, command: Command) -> (Outcome, Vec<WatchEvent>) {
        let (result, events) = state.apply(zxid, 1_000, &command);
        let outcome = result.unwrap_or_else(|error| panic!("{command:?} refused: {error}"));
        (outcome, events)
    }

    /// Sessions 1 and 2 (the first two ids): session 1 owns `/svc/a` and
    /// `/svc/b`, session 2 owns `/svc/c`; `/svc` itself is persistent.
    fn two_sessions() -> CoordinatorState {
        let mut state = CoordinatorState::default();
        apply_ok(&mut state, 1, Command::CreateSession { timeout_ms: 5_000 });
        apply_ok(&mut state, 2, Command::CreateSession { timeout_ms: 9_000 });
        apply_ok(&mut state, 3, write(vec![create("/svc", CreateMode::Persistent)], None));
        let ops = vec![create("/svc/a", CreateMode::Ephemeral), create("/svc/b", CreateMode::Ephemeral)];
        apply_ok(&mut state, 4, write(ops, Some(1)));
        apply_ok(&mut state, 5, write(vec![create("/svc/c", CreateMode::Ephemeral)], Some(2)));
        state
    }

    /// Applies `command` at zxid 100 to `state` and expects `error`, no events and no change.
    fn check_refused(mut state: CoordinatorState, command: Command, error: TreeError) {
        let before = state.clone();
        let (result, events) = state.apply(100, 1_000, &command);
        assert_eq!(result, Err(error), "{command:?}");
        assert!(events.is_empty(), "the refused {command:?} reported {events:?}");
        assert_eq!(state, before, "the refused {command:?} changed the state");
    }

    #[test]
    fn sessions_get_increasing_ids_never_reused() {
        let mut state = CoordinatorState::default();
        let (outcome, events) = apply_ok(&mut state, 17, Command::CreateSession { timeout_ms: 4_000 });
        assert_eq!(outcome, Outcome::SessionCreated { session_id: 1, timeout_ms: 4_000 });
        assert!(events.is_empty());
        assert_eq!(state.sessions, BTreeMap::from([(1, SessionEntry { timeout_ms: 4_000 })]));
        assert_eq!(state.tree, ZnodeTree::default());
        apply_ok(&mut state, 18, Command::CloseSession { session_id: 1 });
        let (outcome, _) = apply_ok(&mut state, 19, Command::CreateSession { timeout_ms: 4_000 });
        assert_eq!(outcome, Outcome::SessionCreated { session_id: 2, timeout_ms: 4_000 });
    }

    #[test]
    fn a_proposal_applies_each_command_on_its_own() {
        let mut state = CoordinatorState::default();
        let proposal = Proposal {
            time_ms: 5,
            commands: vec![
                write(vec![create("/a", CreateMode::Persistent)], None),
                write(vec![create("/a", CreateMode::Persistent)], None),
                Command::CreateSession { timeout_ms: 1_000 },
                write(vec![create("/a/b", CreateMode::Persistent)], None),
            ],
        };
        let (results, events) = state.apply_proposal(9, &proposal);
        assert_eq!(results.len(), 4);
        assert!(results[0].is_ok());
        assert_eq!(results[1], Err(TreeError::NodeExists { path: "/a".into() }));
        assert_eq!(results[2], Ok(Outcome::SessionCreated { session_id: 1, timeout_ms: 1_000 }));
        assert!(results[3].is_ok());
        assert!(events.iter().all(|event| event.zxid == 9));
        assert_eq!(state.tree.stat("/a/b").unwrap().ctime, 5);
    }

    #[test]
    fn writes_report_their_results_and_events() {
        let mut state = two_sessions();
        let ops = vec![create("/svc/d", CreateMode::Ephemeral), create("/svc/e", CreateMode::Persistent)];
        let (outcome, events) = apply_ok(&mut state, 6, write(ops.clone(), Some(2)));
        let Outcome::Written { results } = outcome else {
            panic!("expected a write outcome, got {outcome:?}");
        };
        assert_eq!(results.len(), 2);
        let expected = vec![
            event(6, "/svc/d", EventKind::Created),
            event(6, "/svc", EventKind::ChildrenChanged),
            event(6, "/svc/e", EventKind::Created),
            event(6, "/svc", EventKind::ChildrenChanged),
        ];
        assert_eq!(events, expected);
        let d = state.tree.stat("/svc/d").unwrap();
        assert_eq!((d.czxid, d.ctime, d.ephemeral_owner), (6, 1_000, 2));
        assert_eq!(state.tree.ephemerals_of(2), ["/svc/c", "/svc/d"]);
    }

    #[test]
    fn ephemeral_creates_need_a_live_session() {
        let ephemeral = || create("/svc/x", CreateMode::Ephemeral);
        let expired = TreeError::SessionExpired { session_id: 99 };
        check_refused(two_sessions(), write(vec![ephemeral()], Some(99)), expired.clone());
        let sequential = create("/svc/x-", CreateMode::EphemeralSequential);
        check_refused(two_sessions(), write(vec![sequential], Some(99)), expired);
        // Every op of the multi is refused, not only the ephemeral create.
        let ops = vec![create("/y", CreateMode::Persistent), ephemeral()];
        check_refused(two_sessions(), write(ops, Some(99)), TreeError::SessionExpired { session_id: 99 });

        // A session that was closed, or that expired, is gone for good.
        let mut closed = two_sessions();
        apply_ok(&mut closed, 10, Command::CloseSession { session_id: 1 });
        check_refused(closed, write(vec![ephemeral()], Some(1)), TreeError::SessionExpired { session_id: 1 });
        let mut expired = two_sessions();
        apply_ok(&mut expired, 10, Command::ExpireSessions { session_ids: vec![2] });
        check_refused(expired, write(vec![ephemeral()], Some(2)), TreeError::SessionExpired { session_id: 2 });

        // Without any session the tree refuses it.
        let required = TreeError::SessionRequired { path: "/svc/x".to_string() };
        check_refused(two_sessions(), write(vec![ephemeral()], None), required);
    }

    #[test]
    fn refused_writes_change_nothing() {
        let no_parent = TreeError::NoParent { path: "/none/x".to_string(), parent: "/none".to_string() };
        let ops = vec![create("/svc/new", CreateMode::Ephemeral), create("/none/x", CreateMode::Persistent)];
        check_refused(two_sessions(), write(ops, Some(1)), no_parent);
        let ops = vec![MultiOp::Delete { path: "/svc".to_string(), version: ANY_VERSION }];
        check_refused(two_sessions(), write(ops, None), TreeError::NotEmpty { path: "/svc".to_string() });
        check_refused(two_sessions(), write(vec![], Some(1)), TreeError::EmptyMulti);
    }

    #[test]
    fn closing_a_session_deletes_its_ephemeral_nodes() {
        let mut state = two_sessions();
        let (outcome, events) = apply_ok(&mut state, 10, Command::CloseSession { session_id: 1 });
        assert_eq!(outcome, Outcome::SessionsClosed { session_ids: vec![1] });
        let expected = vec![
            event(10, "/svc/a", EventKind::Deleted),
            event(10, "/svc", EventKind::ChildrenChanged),
            event(10, "/svc/b", EventKind::Deleted),
            event(10, "/svc", EventKind::ChildrenChanged),
        ];
        assert_eq!(events, expected);
        assert_eq!(state.sessions.keys().copied().collect::<Vec<_>>(), [2]);
        assert_eq!(state.tree.children("/svc").unwrap().children, ["c"]);
        assert_eq!(state.tree.stat("/svc").unwrap().pzxid, 10);
        assert_eq!(state.tree.ephemeral_count(), 1);

        // Closing it again, or closing a session that never was, is refused.
        check_refused(
            state.clone(),
            Command::CloseSession { session_id: 1 },
            TreeError::SessionExpired { session_id: 1 },
        );
        check_refused(state, Command::CloseSession { session_id: 77 }, TreeError::SessionExpired { session_id: 77 });
    }

    #[test]
    fn closing_a_session_without_ephemeral_nodes_only_ends_it() {
        let mut state = two_sessions();
        apply_ok(&mut state, 6, Command::CreateSession { timeout_ms: 1_000 });
        let tree = state.tree.clone();
        let (outcome, events) = apply_ok(&mut state, 7, Command::CloseSession { session_id: 3 });
        assert_eq!(outcome, Outcome::SessionsClosed { session_ids: vec![3] });
        assert!(events.is_empty());
        assert!(!state.sessions.contains_key(&3));
        assert_eq!(state.tree, tree);
    }

    #[test]
    fn expiring_sessions_reports_only_the_ones_it_closed() {
        let mut state = two_sessions();
        let (outcome, events) = apply_ok(&mut state, 20, Command::ExpireSessions { session_ids: vec![99, 2, 1, 2] });
        assert_eq!(outcome, Outcome::SessionsClosed { session_ids: vec![2, 1] });
        let expected = vec![
            event(20, "/svc/c", EventKind::Deleted),
            event(20, "/svc", EventKind::ChildrenChanged),
            event(20, "/svc/a", EventKind::Deleted),
            event(20, "/svc", EventKind::ChildrenChanged),
            event(20, "/svc/b", EventKind::Deleted),
            event(20, "/svc", EventKind::ChildrenChanged),
        ];
        assert_eq!(events, expected);
        assert!(state.sessions.is_empty());
        assert_eq!(state.tree.ephemeral_count(), 0);
        assert_eq!(state.tree.node_count(), 2);

        // Unknown ids alone change nothing and are not reported.
        let before = state.clone();
        for session_ids in [vec![], vec![1, 2, 99]] {
            let (outcome, events) = apply_ok(&mut state, 21, Command::ExpireSessions { session_ids });
            assert_eq!(outcome, Outcome::SessionsClosed { session_ids: vec![] });
            assert!(events.is_empty());
            assert_eq!(state, before);
        }
    }

    const LIMITS: Limits = Limits { max_data_bytes: 4 };

    /// Expects `validate_command` to answer `expected` for `ops` (as one write) under [`LIMITS`].
    fn check(ops: Vec<MultiOp>, expected: Result<(), TreeError>) {
        let command = write(ops, None);
        assert_eq!(validate_command(&command, &LIMITS), expected, "{command:?}");
    }

    fn set(path: &str, data: &str) -> MultiOp {
        MultiOp::Set { path: path.to_string(), data: data.to_string(), version: ANY_VERSION }
    }

    fn too_large(path: &str, size: u64) -> Result<(), TreeError> {
        Err(TreeError::DataTooLarge { path: path.to_string(), size, limit: 4 })
    }

    fn invalid(path: &str, reason: &str) -> Result<(), TreeError> {
        Err(TreeError::InvalidPath { path: path.to_string(), reason: reason.to_string() })
    }

    #[test]
    fn validate_command_checks_data_sizes_and_paths() {
        use CreateMode::{Ephemeral, Persistent, PersistentSequential};
        let delete = |path: &str| MultiOp::Delete { path: path.to_string(), version: ANY_VERSION };
        let version_check = |path: &str| MultiOp::Check { path: path.to_string(), version: 0 };

        check(vec![create_with("/a", "1234", Persistent)], Ok(()));
        check(vec![set("/a", "1234")], Ok(()));
        check(vec![create_with("/a", "12345", Persistent)], too_large("/a", 5));
        check(vec![create_with("/a/", "12345", PersistentSequential)], too_large("/a/", 5));
        check(vec![create_with("/e", "12345", Ephemeral)], too_large("/e", 5));
        check(vec![set("/a", "12345")], too_large("/a", 5));
        // Sizes are bytes: three two-byte characters.
        check(vec![set("/a", "ééé")], too_large("/a", 6));
        check(
            vec![create("/a", Persistent), version_check("/a"), delete("/b"), set("/b", "toolong")],
            too_large("/b", 7),
        );
        // The first bad op is the one reported.
        check(vec![set("/a", "12345"), create("bad", Persistent)], too_large("/a", 5));

        check(vec![delete("/a"), version_check("/a")], Ok(()));
        check(vec![create("/a/", PersistentSequential)], Ok(()));
        check(vec![create("/a/", Persistent)], invalid("/a/", "must not end with '/'"));
        check(vec![create("a", Persistent)], invalid("a", "must start with '/'"));
        check(vec![set("/a/", "")], invalid("/a/", "must not end with '/'"));
        check(vec![create("/ok", Persistent), delete("/a//b")], invalid("/a//b", "empty segment"));
        let relative = "relative segments '.' and '..' are not allowed";
        check(vec![version_check("/a/..")], invalid("/a/..", relative));
        check(vec![], Err(TreeError::EmptyMulti));
    }

    #[test]
    fn validate_command_uses_the_limit_it_is_given() {
        let limits = Limits::default();
        let at_limit = "x".repeat(1024 * 1024);
        let over = format!("{at_limit}x");
        let command = |data: &str| write(vec![create_with("/big", data, CreateMode::Persistent)], None);
        assert_eq!(validate_command(&command(&at_limit), &limits), Ok(()));
        let error = TreeError::DataTooLarge { path: "/big".to_string(), size: 1024 * 1024 + 1, limit: 1024 * 1024 };
        assert_eq!(validate_command(&command(&over), &limits), Err(error));
    }

    #[test]
    fn validate_command_passes_session_commands() {
        for command in [
            Command::CreateSession { timeout_ms: 0 },
            Command::CloseSession { session_id: 1 },
            Command::ExpireSessions { session_ids: vec![] },
        ] {
            assert_eq!(validate_command(&command, &LIMITS), Ok(()), "{command:?}");
        }
    }
}
