//! [`ZnodeTree`]: the nodes, their stats, their children and the ephemeral nodes of each session,
//! with ZooKeeper's create, set, delete, check and multi.

use std::collections::{BTreeSet, HashMap};

use corral_wire::coordinator::{
    Children, CreateMode, EventKind, MultiOp, MultiResult, Stat, WatchEvent, Znode as ZnodeView, ANY_VERSION,
};
use serde::{Deserialize, Serialize};

use super::path::{parent_and_name, validate_path};
use super::txn::Txn;
use super::TreeError;

/// Limits checked before a change is proposed (so every replica applies the same log alike).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub max_data_bytes: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_data_bytes: 1024 * 1024 }
    }
}

/// One node: its data and stat. Children are kept by the tree, keyed by the parent's path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Znode {
    pub(super) data: String,
    pub(super) stat: Stat,
    /// Suffix of the next sequential child.
    pub(super) next_sequence: u64,
    pub(super) container: bool,
}

/// ZooKeeper's tree of znodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ZnodeTree {
    pub(super) nodes: HashMap<String, Znode>,
    pub(super) children: HashMap<String, BTreeSet<String>>,
    pub(super) ephemerals: HashMap<u64, BTreeSet<String>>,
}

impl Default for ZnodeTree {
    fn default() -> Self {
        let root = Znode { data: String::new(), stat: Stat::default(), next_sequence: 0, container: false };
        ZnodeTree {
            nodes: HashMap::from([("/".to_string(), root)]),
            children: HashMap::new(),
            ephemerals: HashMap::new(),
        }
    }
}

impl ZnodeTree {
    pub fn get(&self, path: &str) -> Result<ZnodeView, TreeError> {
        let node = self.existing(path)?;
        Ok(ZnodeView { path: path.to_string(), data: node.data.clone(), stat: self.stat_of(path, node) })
    }

    pub fn stat(&self, path: &str) -> Result<Stat, TreeError> {
        let node = self.existing(path)?;
        Ok(self.stat_of(path, node))
    }

    pub fn children(&self, path: &str) -> Result<Children, TreeError> {
        let node = self.existing(path)?;
        let children = self.children.get(path).map(|c| c.iter().cloned().collect()).unwrap_or_default();
        Ok(Children { path: path.to_string(), children, stat: self.stat_of(path, node) })
    }

    /// The number of znodes, the root included.
    pub fn node_count(&self) -> usize {
        self.nodes.len()
    }

    pub fn ephemeral_count(&self) -> usize {
        self.ephemerals.values().map(|owned| owned.len()).sum()
    }

    /// The paths of the ephemeral nodes a session owns.
    pub fn ephemerals_of(&self, session_id: u64) -> Vec<String> {
        self.ephemerals.get(&session_id).map(|owned| owned.iter().cloned().collect()).unwrap_or_default()
    }

    /// Applies `ops` as one transaction at `zxid`: all of them, or none if one fails.
    /// `session` owns the ephemeral nodes the transaction creates.
    pub fn apply(
        &mut self,
        ops: &[MultiOp],
        session: Option<u64>,
        zxid: u64,
        time_ms: u64,
    ) -> Result<(Vec<MultiResult>, Vec<WatchEvent>), TreeError> {
        if ops.is_empty() {
            return Err(TreeError::EmptyMulti);
        }
        let mut txn = Txn::new(self, zxid, time_ms);
        let mut results = Vec::with_capacity(ops.len());
        for op in ops {
            match apply_op(&mut txn, op, session) {
                Ok(result) => results.push(result),
                Err(error) => {
                    txn.rollback();
                    return Err(error);
                }
            }
        }
        Ok((results, txn.commit()))
    }

    /// Deletes every ephemeral node of a session (its expiry or close), children first.
    pub fn delete_ephemerals(&mut self, session_id: u64, zxid: u64, time_ms: u64) -> Vec<WatchEvent> {
        // Ephemeral nodes have no children, so any order of deletion is safe.
        let owned = self.ephemerals_of(session_id);
        let mut txn = Txn::new(self, zxid, time_ms);
        for path in owned {
            delete_node(&mut txn, &path);
        }
        txn.commit()
    }

    fn existing(&self, path: &str) -> Result<&Znode, TreeError> {
        validate_path(path, false)?;
        self.nodes.get(path).ok_or_else(|| TreeError::NoNode { path: path.to_string() })
    }

    fn stat_of(&self, path: &str, node: &Znode) -> Stat {
        Stat { num_children: self.children.get(path).map_or(0, |c| c.len() as u64), ..node.stat }
    }
}

fn apply_op(txn: &mut Txn<'_>, op: &MultiOp, session: Option<u64>) -> Result<MultiResult, TreeError> {
    match op {
        MultiOp::Create { path, data, mode } => create(txn, path, data, *mode, session),
        MultiOp::Set { path, data, version } => set(txn, path, data, *version),
        MultiOp::Delete { path, version } => delete(txn, path, *version),
        MultiOp::Check { path, version } => {
            check_version(txn, path, *version)?;
            Ok(MultiResult::Check { path: path.clone() })
        }
    }
}

fn create(
    txn: &mut Txn<'_>,
    path: &str,
    data: &str,
    mode: CreateMode,
    session: Option<u64>,
) -> Result<MultiResult, TreeError> {
    validate_path(path, mode.is_sequential())?;
    if path == "/" && !mode.is_sequential() {
        return Err(TreeError::NodeExists { path: path.to_string() });
    }
    let owner = match (mode.is_ephemeral(), session) {
        (false, _) => 0,
        (true, Some(session_id)) => session_id,
        (true, None) => return Err(TreeError::SessionRequired { path: path.to_string() }),
    };
    let (parent, _) = parent_and_name(path);
    let parent_node =
        txn.node(parent).ok_or_else(|| TreeError::NoParent { path: path.to_string(), parent: parent.to_string() })?;
    if parent_node.stat.ephemeral_owner != 0 {
        return Err(TreeError::NoChildrenForEphemerals { path: path.to_string(), parent: parent.to_string() });
    }
    let path = if mode.is_sequential() { format!("{path}{:010}", parent_node.next_sequence) } else { path.to_string() };
    if txn.node(&path).is_some() {
        return Err(TreeError::NodeExists { path });
    }
    let (zxid, time_ms) = (txn.zxid, txn.time_ms);
    let stat = Stat {
        czxid: zxid,
        mzxid: zxid,
        pzxid: zxid,
        ctime: time_ms,
        mtime: time_ms,
        ephemeral_owner: owner,
        data_length: data.len() as u64,
        ..Stat::default()
    };
    let node = Znode { data: data.to_string(), stat, next_sequence: 0, container: mode == CreateMode::Container };
    let sequential = mode.is_sequential();
    txn.update(parent, |parent| {
        parent.stat.cversion += 1;
        parent.stat.pzxid = zxid;
        if sequential {
            parent.next_sequence += 1;
        }
    });
    let (_, name) = parent_and_name(&path);
    txn.insert(&path, name, parent, node);
    txn.event(&path, EventKind::Created);
    txn.event(parent, EventKind::ChildrenChanged);
    Ok(MultiResult::Create { path, stat })
}

fn set(txn: &mut Txn<'_>, path: &str, data: &str, version: i64) -> Result<MultiResult, TreeError> {
    check_version(txn, path, version)?;
    let (zxid, time_ms) = (txn.zxid, txn.time_ms);
    txn.update(path, |node| {
        node.data = data.to_string();
        node.stat.version += 1;
        node.stat.mzxid = zxid;
        node.stat.mtime = time_ms;
        node.stat.data_length = data.len() as u64;
    });
    txn.event(path, EventKind::DataChanged);
    let stat = Stat { num_children: txn.child_count(path) as u64, ..txn.node(path).expect("node just updated").stat };
    Ok(MultiResult::Set { path: path.to_string(), stat })
}

fn delete(txn: &mut Txn<'_>, path: &str, version: i64) -> Result<MultiResult, TreeError> {
    if path == "/" {
        return Err(TreeError::RootNode { action: "deleted".to_string() });
    }
    check_version(txn, path, version)?;
    if txn.child_count(path) > 0 {
        return Err(TreeError::NotEmpty { path: path.to_string() });
    }
    delete_node(txn, path);
    Ok(MultiResult::Delete { path: path.to_string() })
}

/// Deletes a childless node, then its parent too if that is a container left empty.
fn delete_node(txn: &mut Txn<'_>, path: &str) {
    let (parent, name) = parent_and_name(path);
    let zxid = txn.zxid;
    txn.remove(path, name, parent);
    txn.update(parent, |parent| {
        parent.stat.cversion += 1;
        parent.stat.pzxid = zxid;
    });
    txn.event(path, EventKind::Deleted);
    txn.event(parent, EventKind::ChildrenChanged);
    let empty_container = txn.node(parent).is_some_and(|p| p.container) && txn.child_count(parent) == 0;
    if empty_container {
        delete_node(txn, parent);
    }
}

fn check_version(txn: &Txn<'_>, path: &str, expected: i64) -> Result<(), TreeError> {
    validate_path(path, false)?;
    let node = txn.node(path).ok_or_else(|| TreeError::NoNode { path: path.to_string() })?;
    if expected != ANY_VERSION && expected != node.stat.version {
        return Err(TreeError::BadVersion { path: path.to_string(), expected, actual: node.stat.version });
    }
    Ok(())
}
