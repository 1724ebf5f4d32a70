//! Znode paths as the coordinator judges them (`tree::validate_path`, `tree::parent_and_name`) and
//! as the tree uses them: any text is judged without panicking, exactly the paths ZooKeeper's rules
//! admit are valid, a valid path splits into a valid parent and a name that join back into it, and
//! any sequence of operations on any paths leaves a tree whose nodes are valid and listed by their
//! parents.
//!
//! `shared/coord-client/src/path_properties.rs` checks the client against the same rules (the
//! client refuses only what it cannot put in a URL and leaves the rest to this judge).

use corral_coordinator::tree::{parent_and_name, validate_path, ZnodeTree};
use corral_wire::coordinator::{CreateMode, MultiOp, ANY_VERSION};
use proptest::prelude::*;

fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases) }
}

/// ZooKeeper's rules, as the module documents them: absolute, `/`-separated, no empty, `.` or `..`
/// segments, no control characters; a trailing `/` only where asked for (sequential creates).
fn admitted(path: &str, allow_trailing_slash: bool) -> bool {
    let Some(relative) = path.strip_prefix('/') else { return false };
    if relative.is_empty() {
        return true;
    }
    let relative = match relative.strip_suffix('/') {
        Some(body) if allow_trailing_slash => body,
        _ => relative,
    };
    relative.split('/').all(|segment| {
        !segment.is_empty() && segment != "." && segment != ".." && !segment.chars().any(char::is_control)
    })
}

/// Text made of the characters path rules care about: slashes, dots, controls (C0 and C1), and
/// a few ordinary and non-ASCII characters.
fn path_like_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[/./a\u{0}\u{1f}\u{7f}\u{85}é ]{0,12}", "(/(a|b|\\.|\\.\\.|\u{0}|))+/?"]
}

/// A segment the rules admit: any non-control characters but `/`, not `.` or `..`.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof!["[a-c]{1,3}", "[^/\\p{Cc}]{1,6}"].prop_filter("`.` and `..` are not names", |s| s != "." && s != "..")
}

fn valid_path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..6).prop_map(|segments| format!("/{}", segments.join("/")))
}

fn op() -> impl Strategy<Value = MultiOp> {
    let path = || prop_oneof![3 => "(/[ab]){1,3}/?", 1 => path_like_text()];
    let mode = prop_oneof![
        Just(CreateMode::Persistent),
        Just(CreateMode::PersistentSequential),
        Just(CreateMode::Ephemeral),
        Just(CreateMode::EphemeralSequential),
        Just(CreateMode::Container),
    ];
    let version = prop_oneof![Just(ANY_VERSION), -2i64..3, any::<i64>()];
    prop_oneof![
        (path(), ".{0,4}", mode).prop_map(|(path, data, mode)| MultiOp::Create { path, data, mode }),
        (path(), ".{0,4}", version.clone()).prop_map(|(path, data, version)| MultiOp::Set { path, data, version }),
        (path(), version.clone()).prop_map(|(path, version)| MultiOp::Delete { path, version }),
        (path(), version).prop_map(|(path, version)| MultiOp::Check { path, version }),
    ]
}

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn any_text_is_valid_exactly_when_zookeepers_rules_admit_it(text in path_like_text()) {
        for trailing in [false, true] {
            prop_assert_eq!(validate_path(&text, trailing).is_ok(), admitted(&text, trailing), "trailing {}", trailing);
        }
    }

    #[test]
    fn a_valid_path_splits_into_a_valid_parent_and_a_name_that_join_back(path in valid_path()) {
        prop_assert!(validate_path(&path, false).is_ok());
        let (parent, name) = parent_and_name(&path);
        prop_assert!(validate_path(parent, false).is_ok());
        prop_assert!(!name.is_empty() && !name.contains('/'));
        let joined = if parent == "/" { format!("/{name}") } else { format!("{parent}/{name}") };
        prop_assert_eq!(joined, path.clone());
        // The same path with a trailing slash is a sequential create's parent, allowed only there.
        let with_slash = format!("{path}/");
        prop_assert!(validate_path(&with_slash, true).is_ok());
        prop_assert!(validate_path(&with_slash, false).is_err());
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_operations_on_any_paths_leave_a_tree_of_valid_nodes_listed_by_their_parents(
        transactions in prop::collection::vec((prop::collection::vec(op(), 0..4), prop::option::of(1u64..3)), 1..12),
    ) {
        let mut tree = ZnodeTree::default();
        let mut created = vec!["/".to_string()];
        for (index, (ops, session)) in transactions.iter().enumerate() {
            let zxid = index as u64 + 1;
            if let Ok((results, _events)) = tree.apply(ops, *session, zxid, zxid * 100) {
                created.extend(results.iter().filter_map(|result| match result {
                    corral_wire::coordinator::MultiResult::Create { path, .. } => Some(path.clone()),
                    _ => None,
                }));
            }
            if index % 4 == 3 {
                tree.delete_ephemerals(1, zxid, zxid * 100);
            }
        }
        for path in created.iter().filter(|path| tree.get(path).is_ok()) {
            prop_assert!(validate_path(path, false).is_ok(), "created {:?}", path);
            if path != "/" {
                let (parent, name) = parent_and_name(path);
                let listed = tree.children(parent).map(|children| children.children.contains(&name.to_string()));
                prop_assert_eq!(listed, Ok(true), "{:?} under {:?}", name, parent);
            }
        }
    }
}
