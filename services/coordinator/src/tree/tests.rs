//! Tests of the znode tree against ZooKeeper's semantics: stats, create modes, versions, refusals,
//! all-or-nothing multi, watch events and the ephemeral nodes of sessions.
//!
//! Every change is applied at a chosen zxid `z` and time `z * 100`, so the expected stats can be
//! written out in full.

use std::slice;

use corral_wire::coordinator::{
    CreateMode, EventKind, MultiOp, MultiResult, Stat, WatchEvent, Znode as ZnodeView, ANY_VERSION,
};
use CreateMode::{Container, Ephemeral, EphemeralSequential, Persistent, PersistentSequential};
use EventKind::{ChildrenChanged, Created, DataChanged, Deleted};

use super::{TreeError, ZnodeTree};

/// The session that owns the ephemeral nodes these tests create, unless they say otherwise.
const SESSION: u64 = 7;
const OTHER_SESSION: u64 = 9;

fn create_with(path: &str, data: &str, mode: CreateMode) -> MultiOp {
    MultiOp::Create { path: path.to_string(), data: data.to_string(), mode }
}

fn create(path: &str, mode: CreateMode) -> MultiOp {
    create_with(path, "", mode)
}

fn persistent(path: &str) -> MultiOp {
    create(path, Persistent)
}

fn set(path: &str, data: &str, version: i64) -> MultiOp {
    MultiOp::Set { path: path.to_string(), data: data.to_string(), version }
}

fn delete(path: &str, version: i64) -> MultiOp {
    MultiOp::Delete { path: path.to_string(), version }
}

fn version_check(path: &str, version: i64) -> MultiOp {
    MultiOp::Check { path: path.to_string(), version }
}

fn events_at(zxid: u64, events: &[(&str, EventKind)]) -> Vec<WatchEvent> {
    events.iter().map(|&(path, kind)| WatchEvent { zxid, path: path.to_string(), kind }).collect()
}

fn created_path(result: &MultiResult) -> &str {
    match result {
        MultiResult::Create { path, .. } => path,
        other => panic!("expected a create result, got {other:?}"),
    }
}

fn no_node(path: &str) -> TreeError {
    TreeError::NoNode { path: path.to_string() }
}

fn invalid(path: &str, reason: &str) -> TreeError {
    TreeError::InvalidPath { path: path.to_string(), reason: reason.to_string() }
}

/// Applies `ops` as one transaction at `zxid` (time `zxid * 100`) for [`SESSION`], which must succeed.
fn apply_ok(tree: &mut ZnodeTree, zxid: u64, ops: &[MultiOp]) -> (Vec<MultiResult>, Vec<WatchEvent>) {
    tree.apply(ops, Some(SESSION), zxid, zxid * 100).unwrap_or_else(|error| panic!("{ops:?} refused: {error}"))
}

/// The tree after applying each of `ops` as its own transaction, at zxids 1, 2, 3, ...
fn tree_after(ops: &[MultiOp]) -> ZnodeTree {
    let mut tree = ZnodeTree::default();
    for (zxid, op) in (1..).zip(ops) {
        apply_ok(&mut tree, zxid, slice::from_ref(op));
    }
    tree
}

/// Applies `ops` for `session` to the tree built from `setup`, expects `error`, and expects the
/// tree to be exactly as it was: nodes, stats, children, sequence counters and ephemeral index.
fn check_refused(setup: &[MultiOp], ops: &[MultiOp], session: Option<u64>, error: TreeError) {
    let mut tree = tree_after(setup);
    let before = tree.clone();
    assert_eq!(tree.apply(ops, session, 100, 10_000), Err(error), "{ops:?}");
    assert_eq!(tree, before, "the refused {ops:?} changed the tree");
}

/// Applies `ops` at zxid 50 to the tree built from `setup` and expects exactly `expected` events.
fn check_events(setup: &[MultiOp], ops: &[MultiOp], expected: &[(&str, EventKind)]) {
    let mut tree = tree_after(setup);
    let (_, events) = apply_ok(&mut tree, 50, ops);
    assert_eq!(events, events_at(50, expected), "{ops:?}");
}

#[test]
fn a_new_tree_holds_only_the_root() {
    let tree = ZnodeTree::default();
    assert_eq!(tree.node_count(), 1);
    assert_eq!(tree.ephemeral_count(), 0);
    let root = ZnodeView { path: "/".to_string(), data: String::new(), stat: Stat::default() };
    assert_eq!(tree.get("/"), Ok(root));
    assert!(tree.children("/").unwrap().children.is_empty());
    assert_eq!(tree.get("/a"), Err(no_node("/a")));
}

#[test]
fn create_stamps_the_node_and_its_parent() {
    let mut tree = tree_after(&[persistent("/a")]);
    let (results, _) = apply_ok(&mut tree, 5, &[create_with("/a/b", "héllo", Persistent)]);
    // dataLength counts bytes, not characters.
    let b = Stat { czxid: 5, mzxid: 5, pzxid: 5, ctime: 500, mtime: 500, data_length: 6, ..Stat::default() };
    assert_eq!(results, [MultiResult::Create { path: "/a/b".to_string(), stat: b }]);
    let view = ZnodeView { path: "/a/b".to_string(), data: "héllo".to_string(), stat: b };
    assert_eq!(tree.get("/a/b"), Ok(view));
    // The parent's list of children changed; its data did not.
    let a =
        Stat { czxid: 1, mzxid: 1, pzxid: 5, ctime: 100, mtime: 100, cversion: 1, num_children: 1, ..Stat::default() };
    assert_eq!(tree.stat("/a"), Ok(a));
    assert_eq!(tree.stat("/"), Ok(Stat { pzxid: 1, cversion: 1, num_children: 1, ..Stat::default() }));
    assert_eq!(tree.node_count(), 3);
}

#[test]
fn set_changes_data_version_and_mzxid_but_not_the_parent() {
    let mut tree = tree_after(&[persistent("/a"), create_with("/a/b", "one", Persistent), persistent("/a/b/c")]);
    let parent = tree.stat("/a").unwrap();
    let (results, _) = apply_ok(&mut tree, 7, &[set("/a/b", "three", 0)]);
    let b = Stat {
        czxid: 2,
        mzxid: 7,
        pzxid: 3,
        ctime: 200,
        mtime: 700,
        version: 1,
        cversion: 1,
        data_length: 5,
        num_children: 1,
        ..Stat::default()
    };
    assert_eq!(results, [MultiResult::Set { path: "/a/b".to_string(), stat: b }]);
    assert_eq!(tree.get("/a/b").unwrap().data, "three");
    assert_eq!(tree.stat("/a/b"), Ok(b));
    assert_eq!(tree.stat("/a"), Ok(parent), "a child's set does not touch its parent");

    apply_ok(&mut tree, 8, &[set("/a/b", "", ANY_VERSION)]);
    assert_eq!(tree.stat("/a/b"), Ok(Stat { mzxid: 8, mtime: 800, version: 2, data_length: 0, ..b }));
}

#[test]
fn delete_moves_the_parent_pzxid_and_cversion() {
    let mut tree = tree_after(&[persistent("/a"), persistent("/a/b"), persistent("/a/c")]);
    let (results, _) = apply_ok(&mut tree, 9, &[delete("/a/b", 0)]);
    assert_eq!(results, [MultiResult::Delete { path: "/a/b".to_string() }]);
    assert_eq!(tree.get("/a/b"), Err(no_node("/a/b")));
    assert_eq!(tree.children("/a").unwrap().children, ["c"]);
    let a =
        Stat { czxid: 1, mzxid: 1, pzxid: 9, ctime: 100, mtime: 100, cversion: 3, num_children: 1, ..Stat::default() };
    assert_eq!(tree.stat("/a"), Ok(a));
    assert_eq!(tree.node_count(), 3);
}

#[test]
fn the_root_can_be_set_like_any_node() {
    let mut tree = ZnodeTree::default();
    apply_ok(&mut tree, 4, &[set("/", "root data", 0)]);
    let root = tree.get("/").unwrap();
    assert_eq!(root.data, "root data");
    assert_eq!(root.stat, Stat { mzxid: 4, mtime: 400, version: 1, data_length: 9, ..Stat::default() });
}

#[test]
fn children_are_the_sorted_names_below_a_node() {
    let tree =
        tree_after(&[persistent("/b"), persistent("/a"), persistent("/a/z"), persistent("/a/y"), persistent("/c")]);
    let root = tree.children("/").unwrap();
    assert_eq!(root.path, "/");
    assert_eq!(root.children, ["a", "b", "c"]);
    assert_eq!(root.stat, tree.stat("/").unwrap());
    assert_eq!(tree.children("/a").unwrap().children, ["y", "z"]);
    assert!(tree.children("/a/y").unwrap().children.is_empty());
    assert_eq!(tree.children("/x"), Err(no_node("/x")));
    assert_eq!(tree.children("a"), Err(invalid("a", "must start with '/'")));
    assert_eq!(tree.stat("/a/"), Err(invalid("/a/", "must not end with '/'")));
    assert_eq!(tree.get("/a//y"), Err(invalid("/a//y", "empty segment")));
}

#[test]
fn changes_report_watch_events() {
    let a = [persistent("/a")];
    check_events(&[], &[persistent("/a")], &[("/a", Created), ("/", ChildrenChanged)]);
    check_events(&a, &[persistent("/a/b")], &[("/a/b", Created), ("/a", ChildrenChanged)]);
    check_events(
        &a,
        &[create("/a/s-", PersistentSequential)],
        &[("/a/s-0000000000", Created), ("/a", ChildrenChanged)],
    );
    check_events(&a, &[create("/a/e", Ephemeral)], &[("/a/e", Created), ("/a", ChildrenChanged)]);
    check_events(&a, &[set("/a", "x", ANY_VERSION)], &[("/a", DataChanged)]);
    check_events(&[], &[set("/", "x", ANY_VERSION)], &[("/", DataChanged)]);
    check_events(&a, &[delete("/a", ANY_VERSION)], &[("/a", Deleted), ("/", ChildrenChanged)]);
    check_events(&a, &[version_check("/a", 0)], &[]);
    check_events(
        &a,
        &[persistent("/a/b"), set("/a", "x", 0), version_check("/a", 1), delete("/a/b", 0)],
        &[("/a/b", Created), ("/a", ChildrenChanged), ("/a", DataChanged), ("/a/b", Deleted), ("/a", ChildrenChanged)],
    );
}

#[test]
fn sequential_names_come_from_a_counter_per_parent() {
    let mut tree = tree_after(&[persistent("/q"), persistent("/r")]);
    let names = [
        ("/q/job-", "/q/job-0000000000"),
        ("/q/job-", "/q/job-0000000001"),
        // The counter belongs to the parent, not to the prefix.
        ("/q/lock-", "/q/lock-0000000002"),
        ("/r/job-", "/r/job-0000000000"),
        // A trailing slash makes the name only the number.
        ("/q/", "/q/0000000003"),
        ("/s-", "/s-0000000000"),
    ];
    for (zxid, (requested, expected)) in (10..).zip(names) {
        let (results, _) = apply_ok(&mut tree, zxid, &[create_with(requested, "d", PersistentSequential)]);
        assert_eq!(created_path(&results[0]), expected);
        let node = tree.get(expected).unwrap();
        assert_eq!((node.data.as_str(), node.stat.czxid, node.stat.ephemeral_owner), ("d", zxid, 0));
    }
    // Plain creates do not advance the counter, and deleted numbers are never given again.
    apply_ok(&mut tree, 20, &[persistent("/q/plain"), delete("/q/0000000003", 0), delete("/q/job-0000000001", 0)]);
    let (results, _) =
        apply_ok(&mut tree, 21, &[create("/q/job-", PersistentSequential), create("/q/job-", PersistentSequential)]);
    assert_eq!(created_path(&results[0]), "/q/job-0000000004");
    assert_eq!(created_path(&results[1]), "/q/job-0000000005");
    assert_eq!(
        tree.children("/q").unwrap().children,
        ["job-0000000000", "job-0000000004", "job-0000000005", "lock-0000000002", "plain"]
    );
}

#[test]
fn ephemeral_nodes_belong_to_their_session() {
    let mut tree = tree_after(&[persistent("/svc")]);
    apply_ok(&mut tree, 2, &[create("/svc/a", Ephemeral), create("/svc/n-", EphemeralSequential)]);
    tree.apply(&[create("/svc/b", Ephemeral)], Some(OTHER_SESSION), 3, 300).unwrap();
    let owner = |path: &str| tree.stat(path).unwrap().ephemeral_owner;
    assert_eq!(owner("/svc/a"), SESSION);
    assert_eq!(owner("/svc/n-0000000000"), SESSION);
    assert_eq!(owner("/svc/b"), OTHER_SESSION);
    assert_eq!(owner("/svc"), 0);
    assert_eq!(tree.ephemeral_count(), 3);
    assert_eq!(tree.ephemerals_of(SESSION), ["/svc/a", "/svc/n-0000000000"]);
    assert_eq!(tree.ephemerals_of(OTHER_SESSION), ["/svc/b"]);
    assert!(tree.ephemerals_of(42).is_empty());

    // A persistent node created on behalf of a session is nobody's.
    apply_ok(&mut tree, 4, &[persistent("/svc/p")]);
    assert_eq!(tree.stat("/svc/p").unwrap().ephemeral_owner, 0);
    assert_eq!(tree.ephemeral_count(), 3);

    // Deleting an ephemeral node by hand takes it off its session's list.
    apply_ok(&mut tree, 5, &[delete("/svc/a", ANY_VERSION)]);
    assert_eq!(tree.ephemerals_of(SESSION), ["/svc/n-0000000000"]);
    assert_eq!(tree.ephemeral_count(), 2);
}

#[test]
fn ending_a_session_deletes_only_its_ephemeral_nodes() {
    let mut tree = tree_after(&[persistent("/svc"), persistent("/svc/keep")]);
    apply_ok(&mut tree, 3, &[create("/svc/b", Ephemeral), create("/a", Ephemeral)]);
    tree.apply(&[create("/svc/other", Ephemeral)], Some(OTHER_SESSION), 4, 400).unwrap();

    let events = tree.delete_ephemerals(SESSION, 10, 1000);
    let expected = [("/a", Deleted), ("/", ChildrenChanged), ("/svc/b", Deleted), ("/svc", ChildrenChanged)];
    assert_eq!(events, events_at(10, &expected));
    assert!(tree.ephemerals_of(SESSION).is_empty());
    assert_eq!(tree.ephemerals_of(OTHER_SESSION), ["/svc/other"]);
    assert_eq!(tree.ephemeral_count(), 1);
    assert_eq!(tree.children("/svc").unwrap().children, ["keep", "other"]);
    let svc = tree.stat("/svc").unwrap();
    assert_eq!((svc.pzxid, svc.cversion, svc.num_children), (10, 4, 2));

    // Nothing is left to delete, and an unknown session owns nothing.
    let before = tree.clone();
    assert!(tree.delete_ephemerals(SESSION, 11, 1100).is_empty());
    assert!(tree.delete_ephemerals(42, 12, 1200).is_empty());
    assert_eq!(tree, before);
}

#[test]
fn a_container_goes_with_its_last_child() {
    let mut tree = tree_after(&[create("/c", Container), persistent("/c/a"), persistent("/c/b")]);
    let (_, events) = apply_ok(&mut tree, 10, &[delete("/c/a", ANY_VERSION)]);
    assert_eq!(events, events_at(10, &[("/c/a", Deleted), ("/c", ChildrenChanged)]));
    assert!(tree.get("/c").is_ok(), "a container with children stays");

    let (results, events) = apply_ok(&mut tree, 11, &[delete("/c/b", ANY_VERSION)]);
    assert_eq!(results, [MultiResult::Delete { path: "/c/b".to_string() }]);
    let expected = [("/c/b", Deleted), ("/c", ChildrenChanged), ("/c", Deleted), ("/", ChildrenChanged)];
    assert_eq!(events, events_at(11, &expected));
    assert_eq!(tree.get("/c"), Err(no_node("/c")));
    assert_eq!(tree.stat("/"), Ok(Stat { pzxid: 11, cversion: 2, ..Stat::default() }));
    assert_eq!(tree.node_count(), 1);
}

#[test]
fn a_container_that_never_had_children_stays() {
    let mut tree = tree_after(&[create_with("/c", "x", Container), persistent("/sibling")]);
    apply_ok(&mut tree, 3, &[delete("/sibling", ANY_VERSION), set("/c", "y", 0)]);
    assert_eq!(tree.get("/c").unwrap().data, "y");
    // It can still be deleted like any node.
    let (_, events) = apply_ok(&mut tree, 4, &[delete("/c", 1)]);
    assert_eq!(events, events_at(4, &[("/c", Deleted), ("/", ChildrenChanged)]));
    assert_eq!(tree.node_count(), 1);
}

#[test]
fn emptied_containers_cascade_up_to_the_first_other_node() {
    let mut tree = tree_after(&[
        persistent("/p"),
        create("/p/c1", Container),
        create("/p/c1/c2", Container),
        persistent("/p/c1/c2/x"),
    ]);
    let (_, events) = apply_ok(&mut tree, 9, &[delete("/p/c1/c2/x", ANY_VERSION)]);
    let expected = [
        ("/p/c1/c2/x", Deleted),
        ("/p/c1/c2", ChildrenChanged),
        ("/p/c1/c2", Deleted),
        ("/p/c1", ChildrenChanged),
        ("/p/c1", Deleted),
        ("/p", ChildrenChanged),
    ];
    assert_eq!(events, events_at(9, &expected));
    assert!(tree.children("/p").unwrap().children.is_empty());
    let p = tree.stat("/p").unwrap();
    assert_eq!((p.pzxid, p.cversion, p.num_children), (9, 2, 0));
    assert_eq!(tree.node_count(), 2);
}

#[test]
fn a_container_emptied_by_a_session_end_goes_too() {
    let mut tree = tree_after(&[
        create("/locks", Container),
        create("/locks/l-", EphemeralSequential),
        create("/locks/l-", EphemeralSequential),
    ]);
    let events = tree.delete_ephemerals(SESSION, 5, 500);
    let expected = [
        ("/locks/l-0000000000", Deleted),
        ("/locks", ChildrenChanged),
        ("/locks/l-0000000001", Deleted),
        ("/locks", ChildrenChanged),
        ("/locks", Deleted),
        ("/", ChildrenChanged),
    ];
    assert_eq!(events, events_at(5, &expected));
    assert_eq!(tree.node_count(), 1);
    assert_eq!(tree.ephemeral_count(), 0);
}

#[test]
fn versions_guard_set_delete_and_check() {
    // `/a` ends at version 2.
    let setup = [persistent("/a"), set("/a", "1", 0), set("/a", "2", 1)];
    let ops: [fn(i64) -> MultiOp; 3] = [|v| set("/a", "new", v), |v| delete("/a", v), |v| version_check("/a", v)];
    for op in ops {
        for version in [2, ANY_VERSION] {
            let mut tree = tree_after(&setup);
            apply_ok(&mut tree, 10, &[op(version)]);
        }
        for version in [0, 1, 3, -2] {
            let error = TreeError::BadVersion { path: "/a".to_string(), expected: version, actual: 2 };
            check_refused(&setup, &[op(version)], Some(SESSION), error);
        }
    }
}

#[test]
fn refused_operations_change_nothing() {
    let setup = [
        persistent("/a"),
        persistent("/a/b"),
        create("/e", Ephemeral),
        persistent("/q"),
        persistent("/q/s-0000000000"),
    ];
    let s = Some(SESSION);
    let start = "must start with '/'";
    let end = "must not end with '/'";
    let empty = "empty segment";
    let relative = "relative segments '.' and '..' are not allowed";
    let control = "control characters are not allowed";
    let cases = [
        (persistent("a"), s, invalid("a", start)),
        (persistent(""), s, invalid("", start)),
        (persistent("/a/"), s, invalid("/a/", end)),
        (create("/a/", Ephemeral), s, invalid("/a/", end)),
        (create("/a/", Container), s, invalid("/a/", end)),
        (persistent("//x"), s, invalid("//x", empty)),
        (create("/a//b/", PersistentSequential), s, invalid("/a//b/", empty)),
        (persistent("/a/./b"), s, invalid("/a/./b", relative)),
        (persistent("/a/.."), s, invalid("/a/..", relative)),
        (persistent("/a\u{7}"), s, invalid("/a\u{7}", control)),
        (set("/a/", "x", ANY_VERSION), s, invalid("/a/", end)),
        (delete("a", ANY_VERSION), s, invalid("a", start)),
        (delete("/a/", ANY_VERSION), s, invalid("/a/", end)),
        (version_check("/a/../b", 0), s, invalid("/a/../b", relative)),
        (set("/zz", "x", ANY_VERSION), s, no_node("/zz")),
        (delete("/zz", ANY_VERSION), s, no_node("/zz")),
        (delete("/a/zz", 0), s, no_node("/a/zz")),
        (version_check("/zz", ANY_VERSION), s, no_node("/zz")),
        (persistent("/x/y"), s, no_parent("/x/y", "/x")),
        (create("/x/s-", PersistentSequential), s, no_parent("/x/s-", "/x")),
        (create("/x/", EphemeralSequential), s, no_parent("/x/", "/x")),
        (persistent("/a"), s, node_exists("/a")),
        (create("/a/b", Ephemeral), s, node_exists("/a/b")),
        (persistent("/"), s, node_exists("/")),
        (create("/", Container), s, node_exists("/")),
        (create("/q/s-", PersistentSequential), s, node_exists("/q/s-0000000000")),
        (delete("/a", ANY_VERSION), s, not_empty("/a")),
        (delete("/a", 0), s, not_empty("/a")),
        (persistent("/e/x"), s, no_children_for_ephemerals("/e/x", "/e")),
        (create("/e/x", Ephemeral), s, no_children_for_ephemerals("/e/x", "/e")),
        (create("/e/", PersistentSequential), s, no_children_for_ephemerals("/e/", "/e")),
        (create("/f", Ephemeral), None, session_required("/f")),
        (create("/f-", EphemeralSequential), None, session_required("/f-")),
        (delete("/", ANY_VERSION), s, root_node()),
        (delete("/", 0), s, root_node()),
        (set("/a", "x", 1), s, TreeError::BadVersion { path: "/a".to_string(), expected: 1, actual: 0 }),
    ];
    for (op, session, error) in cases {
        check_refused(&setup, &[op], session, error);
    }
    check_refused(&setup, &[], s, TreeError::EmptyMulti);
}

fn no_parent(path: &str, parent: &str) -> TreeError {
    TreeError::NoParent { path: path.to_string(), parent: parent.to_string() }
}

fn node_exists(path: &str) -> TreeError {
    TreeError::NodeExists { path: path.to_string() }
}

fn not_empty(path: &str) -> TreeError {
    TreeError::NotEmpty { path: path.to_string() }
}

fn no_children_for_ephemerals(path: &str, parent: &str) -> TreeError {
    TreeError::NoChildrenForEphemerals { path: path.to_string(), parent: parent.to_string() }
}

fn session_required(path: &str) -> TreeError {
    TreeError::SessionRequired { path: path.to_string() }
}

fn root_node() -> TreeError {
    TreeError::RootNode { action: "deleted".to_string() }
}

#[test]
fn a_failing_op_undoes_every_op_before_it() {
    let setup = [
        persistent("/a"),
        persistent("/b"),
        persistent("/seq"),
        create("/c", Container),
        persistent("/c/only"),
        create("/e", Ephemeral),
    ];
    // Each kind of change a multi can make before it fails.
    let changes = [
        persistent("/new"),
        persistent("/new/child"),
        create("/seq/s-", PersistentSequential),
        create("/a/eph", Ephemeral),
        create("/seq/eph-", EphemeralSequential),
        set("/a", "changed", 0),
        delete("/b", 0),
        // Takes the emptied container with it.
        delete("/c/only", ANY_VERSION),
        // Takes an ephemeral node off its session's list.
        delete("/e", ANY_VERSION),
    ];
    // Failures that see the changes made before them in the same multi.
    let failures = [
        (persistent("/nope/x"), no_parent("/nope/x", "/nope")),
        (set("/a", "again", 0), TreeError::BadVersion { path: "/a".to_string(), expected: 0, actual: 1 }),
        (version_check("/b", ANY_VERSION), no_node("/b")),
        (persistent("/new"), node_exists("/new")),
        (delete("/new", ANY_VERSION), not_empty("/new")),
        (persistent("/c/again"), no_parent("/c/again", "/c")),
        (create("/a/eph/x", Persistent), no_children_for_ephemerals("/a/eph/x", "/a/eph")),
        (delete("/", ANY_VERSION), root_node()),
    ];
    for (failure, error) in failures {
        let mut ops = changes.to_vec();
        ops.push(failure);
        check_refused(&setup, &ops, Some(SESSION), error);
    }
    // A failure in the middle: nothing before it stays and nothing after it runs.
    let (before, after) = changes.split_at(4);
    let ops = [before, &[persistent("/nope/x")], after].concat();
    check_refused(&setup, &ops, Some(SESSION), no_parent("/nope/x", "/nope"));
    // The session check of an ephemeral create fails after other creates.
    let ops = [persistent("/new"), create("/seq/s-", PersistentSequential), create("/f", Ephemeral)];
    check_refused(&setup, &ops, None, session_required("/f"));
}

#[test]
fn after_a_rollback_the_same_changes_apply_as_if_never_tried() {
    let mut tree = tree_after(&[persistent("/seq"), create("/e", Ephemeral)]);
    let attempt = [
        create("/seq/s-", PersistentSequential),
        create("/seq/t-", EphemeralSequential),
        delete("/e", ANY_VERSION),
        persistent("/missing/x"),
    ];
    assert!(tree.apply(&attempt, Some(SESSION), 10, 1000).is_err());
    assert_eq!(tree.ephemerals_of(SESSION), ["/e"]);
    let seq = tree.stat("/seq").unwrap();
    assert_eq!((seq.pzxid, seq.cversion, seq.num_children), (1, 0, 0));

    let (results, _) = apply_ok(&mut tree, 11, &attempt[..3]);
    assert_eq!(created_path(&results[0]), "/seq/s-0000000000");
    assert_eq!(created_path(&results[1]), "/seq/t-0000000001");
    assert_eq!(tree.ephemerals_of(SESSION), ["/seq/t-0000000001"]);
}

#[test]
fn a_multi_applies_in_order_under_one_zxid() {
    let mut tree = ZnodeTree::default();
    let ops = [
        create_with("/p", "v0", Persistent),
        persistent("/p/c"),
        set("/p", "v1", 0),
        set("/p", "v22", 1),
        version_check("/p", 2),
        create("/p/s-", PersistentSequential),
        delete("/p/c", 0),
    ];
    let (results, events) = apply_ok(&mut tree, 42, &ops);
    let new = Stat { czxid: 42, mzxid: 42, pzxid: 42, ctime: 4200, mtime: 4200, ..Stat::default() };
    let p = Stat { data_length: 2, ..new };
    let p_set = Stat { version: 1, cversion: 1, num_children: 1, ..p };
    assert_eq!(
        results,
        [
            MultiResult::Create { path: "/p".to_string(), stat: p },
            MultiResult::Create { path: "/p/c".to_string(), stat: new },
            MultiResult::Set { path: "/p".to_string(), stat: p_set },
            MultiResult::Set { path: "/p".to_string(), stat: Stat { version: 2, data_length: 3, ..p_set } },
            MultiResult::Check { path: "/p".to_string() },
            MultiResult::Create { path: "/p/s-0000000000".to_string(), stat: new },
            MultiResult::Delete { path: "/p/c".to_string() },
        ]
    );
    let expected = [
        ("/p", Created),
        ("/", ChildrenChanged),
        ("/p/c", Created),
        ("/p", ChildrenChanged),
        ("/p", DataChanged),
        ("/p", DataChanged),
        ("/p/s-0000000000", Created),
        ("/p", ChildrenChanged),
        ("/p/c", Deleted),
        ("/p", ChildrenChanged),
    ];
    assert_eq!(events, events_at(42, &expected));
    assert_eq!(tree.stat("/p"), Ok(Stat { version: 2, cversion: 3, data_length: 3, num_children: 1, ..new }));
}

#[test]
fn a_multi_can_create_and_delete_the_same_node() {
    let mut tree = tree_after(&[create_with("/old", "old", Persistent)]);
    let (results, events) = apply_ok(&mut tree, 3, &[persistent("/t"), delete("/t", 0)]);
    assert_eq!(
        results,
        [
            MultiResult::Create {
                path: "/t".to_string(),
                stat: Stat { czxid: 3, mzxid: 3, pzxid: 3, ctime: 300, mtime: 300, ..Stat::default() }
            },
            MultiResult::Delete { path: "/t".to_string() },
        ]
    );
    let expected = [("/t", Created), ("/", ChildrenChanged), ("/t", Deleted), ("/", ChildrenChanged)];
    assert_eq!(events, events_at(3, &expected));
    assert_eq!(tree.get("/t"), Err(no_node("/t")));
    let root = tree.stat("/").unwrap();
    assert_eq!((root.pzxid, root.cversion, root.num_children), (3, 3, 1));

    // An ephemeral node made and removed in one multi leaves no trace in the session's list.
    apply_ok(&mut tree, 4, &[create("/e", Ephemeral), delete("/e", ANY_VERSION)]);
    assert_eq!(tree.ephemeral_count(), 0);
    assert!(tree.ephemerals_of(SESSION).is_empty());

    // Deleting and re-creating a node in one multi makes a new node.
    apply_ok(&mut tree, 5, &[delete("/old", 0), create_with("/old", "new", Persistent)]);
    let old = tree.get("/old").unwrap();
    assert_eq!((old.data.as_str(), old.stat.czxid, old.stat.version), ("new", 5, 0));
    assert_eq!(tree.node_count(), 2);
}
