//! The coordinator's client API: znodes, sessions, multi, watches and status.
//!
//! Paths are ZooKeeper paths (`/a/b`); data travels as a UTF-8 string. Every response of a read
//! carries the serving node's applied zxid in the [`ZXID_HEADER`] header; a client that sends
//! [`MIN_ZXID_HEADER`] never reads state older than what it has already seen.

use serde::{Deserialize, Serialize};

/// Response header: the zxid of the state the answer was read from.
pub const ZXID_HEADER: &str = "x-corral-zxid";
/// Request header: do not answer from state older than this zxid (waits briefly, then 503).
pub const MIN_ZXID_HEADER: &str = "x-corral-min-zxid";
/// Request header: the session on whose behalf an ephemeral node is created.
pub const SESSION_HEADER: &str = "x-corral-session";

/// ZooKeeper's stat of a znode. Times are milliseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Stat {
    pub czxid: u64,
    pub mzxid: u64,
    pub pzxid: u64,
    pub ctime: u64,
    pub mtime: u64,
    pub version: i64,
    pub cversion: i64,
    pub aversion: i64,
    /// The id of the session that owns this ephemeral node, 0 for other nodes.
    pub ephemeral_owner: u64,
    pub data_length: u64,
    pub num_children: u64,
}

/// How a znode is created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CreateMode {
    #[default]
    Persistent,
    PersistentSequential,
    Ephemeral,
    EphemeralSequential,
    /// Deleted by the coordinator once its last child is deleted.
    Container,
}

impl CreateMode {
    pub fn from_flags(ephemeral: bool, sequential: bool) -> Self {
        match (ephemeral, sequential) {
            (false, false) => CreateMode::Persistent,
            (false, true) => CreateMode::PersistentSequential,
            (true, false) => CreateMode::Ephemeral,
            (true, true) => CreateMode::EphemeralSequential,
        }
    }

    pub fn is_ephemeral(self) -> bool {
        matches!(self, CreateMode::Ephemeral | CreateMode::EphemeralSequential)
    }

    pub fn is_sequential(self) -> bool {
        matches!(self, CreateMode::PersistentSequential | CreateMode::EphemeralSequential)
    }
}

/// `POST /v1/znodes/{path}`: create a znode.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateRequest {
    #[serde(default)]
    pub data: String,
    #[serde(default)]
    pub mode: CreateMode,
    /// Owner of an ephemeral node; may also come in the [`SESSION_HEADER`] header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<u64>,
}

/// `PUT /v1/znodes/{path}`: replace a znode's data if its version matches (-1 = any).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetRequest {
    pub data: String,
    #[serde(default = "any_version")]
    pub version: i64,
}

/// The version that matches any version.
pub const ANY_VERSION: i64 = -1;

fn any_version() -> i64 {
    ANY_VERSION
}

/// A znode as read: its path, data and stat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Znode {
    pub path: String,
    pub data: String,
    pub stat: Stat,
}

/// `GET /v1/children/{path}`: the sorted names of a znode's children.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Children {
    pub path: String,
    pub children: Vec<String>,
    pub stat: Stat,
}

/// One operation of a `multi` transaction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case", deny_unknown_fields)]
pub enum MultiOp {
    Create {
        path: String,
        #[serde(default)]
        data: String,
        #[serde(default)]
        mode: CreateMode,
    },
    Set {
        path: String,
        data: String,
        #[serde(default = "any_version")]
        version: i64,
    },
    Delete {
        path: String,
        #[serde(default = "any_version")]
        version: i64,
    },
    Check {
        path: String,
        version: i64,
    },
}

/// `POST /v1/multi`: all the operations apply, or none does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MultiRequest {
    pub ops: Vec<MultiOp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<u64>,
}

/// The result of one operation of a successful `multi`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum MultiResult {
    Create { path: String, stat: Stat },
    Set { path: String, stat: Stat },
    Delete { path: String },
    Check { path: String },
}

/// The answer to a successful `multi`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MultiResponse {
    pub zxid: u64,
    pub results: Vec<MultiResult>,
}

/// The answer to a successful create or set.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WriteResponse {
    pub path: String,
    pub zxid: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stat: Option<Stat>,
}

/// `POST /v1/sessions`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionRequest {
    pub timeout_ms: u64,
}

/// A session as created or refreshed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub session_id: u64,
    pub timeout_ms: u64,
}

/// What happened to a znode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    Created,
    Deleted,
    DataChanged,
    ChildrenChanged,
}

/// One change of the tree, as watches report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchEvent {
    pub zxid: u64,
    pub path: String,
    pub kind: EventKind,
}

/// `POST /v1/watch`: a long-poll for every event after `since` on the given paths and prefixes.
///
/// A path matches events on exactly that znode; a prefix matches the znode and everything below it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WatchRequest {
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub prefixes: Vec<String>,
    /// The last zxid the client has seen; the answer holds events with a greater zxid.
    pub since: u64,
    /// How long to wait for an event before answering with none (default 30 s, at most 300 s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_ms: Option<u64>,
}

/// The answer to a watch: the matching events in zxid order, and the zxid to resume from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WatchResponse {
    pub events: Vec<WatchEvent>,
    /// Every event up to this zxid has been considered; the next watch passes it as `since`.
    pub zxid: u64,
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Status {
    pub id: u64,
    /// `leader`, `follower`, `observer` or `looking`.
    pub mode: String,
    pub zxid: u64,
    pub epoch: u64,
    /// The client address of the leader, if one is known.
    pub leader: Option<String>,
    pub node_count: u64,
    pub sessions: u64,
    pub ephemerals: u64,
    pub watches: u64,
    pub received: u64,
    pub latency_min_ms: f64,
    pub latency_avg_ms: f64,
    pub latency_max_ms: f64,
    /// The ensemble as this node's membership lists it, with each member's role.
    #[serde(default)]
    pub members: Vec<EnsembleMember>,
}

/// One member of the ensemble, as a node sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnsembleMember {
    pub id: u64,
    /// `leader`, `follower` or `observer`; `participant` for a voter while no leader is known.
    pub role: String,
    /// `host:port` of its client API.
    pub client: String,
    /// `host:port` of its peer (raft) endpoint.
    pub peer: String,
    /// The last zxid the leader knows this member holds; only a leader knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub matched_zxid: Option<u64>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    /// Serializes `value`, compares it with `expected`, and parses it back.
    fn check<T>(value: T, expected: serde_json::Value)
    where
        T: Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
    {
        assert_eq!(serde_json::to_value(&value).unwrap(), expected);
        assert_eq!(serde_json::from_value::<T>(expected).unwrap(), value);
    }

    #[test]
    fn stats_use_zookeepers_camel_case_names() {
        let stat = Stat { czxid: 1, ephemeral_owner: 7, data_length: 3, num_children: 2, ..Stat::default() };
        check(
            stat,
            json!({"czxid": 1, "mzxid": 0, "pzxid": 0, "ctime": 0, "mtime": 0, "version": 0, "cversion": 0,
                   "aversion": 0, "ephemeralOwner": 7, "dataLength": 3, "numChildren": 2}),
        );
    }

    #[test]
    fn multi_ops_are_tagged_by_op_with_default_versions() {
        check(
            MultiOp::Create { path: "/a".into(), data: "x".into(), mode: CreateMode::EphemeralSequential },
            json!({"op": "create", "path": "/a", "data": "x", "mode": "ephemeral_sequential"}),
        );
        let delete: MultiOp = serde_json::from_value(json!({"op": "delete", "path": "/a"})).unwrap();
        assert_eq!(delete, MultiOp::Delete { path: "/a".into(), version: ANY_VERSION });
        assert!(serde_json::from_value::<MultiOp>(json!({"op": "rename", "path": "/a"})).is_err());
    }

    #[test]
    fn requests_refuse_unknown_fields_and_fill_defaults() {
        let create: CreateRequest = serde_json::from_value(json!({})).unwrap();
        assert_eq!(create, CreateRequest::default());
        assert!(serde_json::from_value::<CreateRequest>(json!({"colour": "red"})).is_err());
        let set: SetRequest = serde_json::from_value(json!({"data": "v"})).unwrap();
        assert_eq!(set.version, ANY_VERSION);
        check(
            WatchEvent { zxid: 4, path: "/a".into(), kind: EventKind::ChildrenChanged },
            json!({"zxid": 4, "path": "/a", "kind": "children_changed"}),
        );
    }

    #[test]
    fn create_modes_follow_their_flags() {
        assert_eq!(CreateMode::from_flags(true, true), CreateMode::EphemeralSequential);
        assert!(CreateMode::from_flags(true, false).is_ephemeral());
        assert!(!CreateMode::Container.is_ephemeral());
        assert!(CreateMode::PersistentSequential.is_sequential());
    }
}
