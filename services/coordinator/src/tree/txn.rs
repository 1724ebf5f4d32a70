//! An all-or-nothing change to the tree. Every change is recorded in an undo log as it is made,
//! so a failed operation puts back exactly what it touched, in reverse order, and nothing else is
//! copied (a parent's list of children is never cloned).

use corral_wire::coordinator::{EventKind, WatchEvent};

use super::znode_tree::{Znode, ZnodeTree};

enum Undo {
    /// The node at `path` was `before` (absent if `None`) before a change.
    Node {
        path: String,
        before: Option<Znode>,
    },
    ChildAdded {
        parent: String,
        name: String,
    },
    ChildRemoved {
        parent: String,
        name: String,
    },
    EphemeralAdded {
        owner: u64,
        path: String,
    },
    EphemeralRemoved {
        owner: u64,
        path: String,
    },
}

pub(super) struct Txn<'a> {
    tree: &'a mut ZnodeTree,
    undo: Vec<Undo>,
    events: Vec<WatchEvent>,
    pub(super) zxid: u64,
    pub(super) time_ms: u64,
}

impl<'a> Txn<'a> {
    pub(super) fn new(tree: &'a mut ZnodeTree, zxid: u64, time_ms: u64) -> Self {
        Txn { tree, undo: Vec::new(), events: Vec::new(), zxid, time_ms }
    }

    pub(super) fn node(&self, path: &str) -> Option<&Znode> {
        self.tree.nodes.get(path)
    }

    pub(super) fn child_count(&self, path: &str) -> usize {
        self.tree.children.get(path).map_or(0, |c| c.len())
    }

    /// Changes a node in place; the closure must not be used to add or remove nodes.
    pub(super) fn update(&mut self, path: &str, change: impl FnOnce(&mut Znode)) {
        let node = self.tree.nodes.get_mut(path).expect("update of an existing node");
        self.undo.push(Undo::Node { path: path.to_string(), before: Some(node.clone()) });
        change(node);
    }

    pub(super) fn insert(&mut self, path: &str, name: &str, parent: &str, node: Znode) {
        let owner = node.stat.ephemeral_owner;
        let before = self.tree.nodes.insert(path.to_string(), node);
        self.undo.push(Undo::Node { path: path.to_string(), before });
        self.tree.children.entry(parent.to_string()).or_default().insert(name.to_string());
        self.undo.push(Undo::ChildAdded { parent: parent.to_string(), name: name.to_string() });
        if owner != 0 {
            self.tree.ephemerals.entry(owner).or_default().insert(path.to_string());
            self.undo.push(Undo::EphemeralAdded { owner, path: path.to_string() });
        }
    }

    pub(super) fn remove(&mut self, path: &str, name: &str, parent: &str) {
        let Some(node) = self.tree.nodes.remove(path) else {
            return;
        };
        let owner = node.stat.ephemeral_owner;
        self.undo.push(Undo::Node { path: path.to_string(), before: Some(node) });
        remove_member(&mut self.tree.children, parent, name);
        self.undo.push(Undo::ChildRemoved { parent: parent.to_string(), name: name.to_string() });
        if owner != 0 {
            remove_member(&mut self.tree.ephemerals, &owner, path);
            self.undo.push(Undo::EphemeralRemoved { owner, path: path.to_string() });
        }
    }

    pub(super) fn event(&mut self, path: &str, kind: EventKind) {
        self.events.push(WatchEvent { zxid: self.zxid, path: path.to_string(), kind });
    }

    /// Keeps every change and returns the events it made, in the order they happened.
    pub(super) fn commit(self) -> Vec<WatchEvent> {
        self.events
    }

    /// Puts back everything this transaction changed.
    pub(super) fn rollback(self) {
        let tree = self.tree;
        for undo in self.undo.into_iter().rev() {
            match undo {
                Undo::Node { path, before: Some(node) } => {
                    tree.nodes.insert(path, node);
                }
                Undo::Node { path, before: None } => {
                    tree.nodes.remove(&path);
                }
                Undo::ChildAdded { parent, name } => remove_member(&mut tree.children, &parent, &name),
                Undo::ChildRemoved { parent, name } => {
                    tree.children.entry(parent).or_default().insert(name);
                }
                Undo::EphemeralAdded { owner, path } => remove_member(&mut tree.ephemerals, &owner, &path),
                Undo::EphemeralRemoved { owner, path } => {
                    tree.ephemerals.entry(owner).or_default().insert(path);
                }
            }
        }
    }
}

/// Removes `member` from the set at `key`, dropping the set once it is empty.
fn remove_member<K, Q>(
    sets: &mut std::collections::HashMap<K, std::collections::BTreeSet<String>>,
    key: &Q,
    member: &str,
) where
    K: std::borrow::Borrow<Q> + std::hash::Hash + Eq,
    Q: std::hash::Hash + Eq + ?Sized,
{
    if let Some(set) = sets.get_mut(key) {
        set.remove(member);
        if set.is_empty() {
            sets.remove(key);
        }
    }
}
