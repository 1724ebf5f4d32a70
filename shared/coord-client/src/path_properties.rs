//! Property tests of the client's path handling (`znode_path.rs`, `route.rs`): any text is
//! encoded or refused without panicking; the client refuses exactly the paths that are not
//! absolute or have a `.` or `..` segment (which URLs would resolve away), so every path the
//! coordinator admits reaches it, percent-decoding back to itself; and joining, naming and listing
//! ancestors agree with one another.
//!
//! The coordinator refuses more (empty segments, control characters, a trailing `/` outside a
//! sequential create: see `services/coordinator/tests/znode_path_properties.rs`); the client
//! leaves those to it, so its answer (400 `invalid_path`) is the only one.

use proptest::prelude::*;

use crate::route::{encode_path, encode_segment};
use crate::znode_path::{ancestors_and_self, child_path, node_name, without_trailing_slash};
use crate::CoordError;

fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases) }
}

/// Undoes `encode_path`'s percent-encoding.
fn percent_decode(encoded: &str) -> Vec<u8> {
    let bytes = encoded.as_bytes();
    let mut decoded = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] == b'%' {
            decoded.push(u8::from_str_radix(&encoded[at + 1..at + 3], 16).expect("two hex digits"));
            at += 3;
        } else {
            decoded.push(bytes[at]);
            at += 1;
        }
    }
    decoded
}

fn path_like_text() -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), "[/./a%\u{0}é ]{0,12}", "(/(a|b|\\.|\\.\\.|%2F|))+/?"]
}

/// A segment without `/` that the coordinator admits: not `.` or `..`, no control characters.
fn segment() -> impl Strategy<Value = String> {
    prop_oneof!["[a-c_.]{1,3}", "[^/\\p{Cc}]{1,6}"].prop_filter("`.` and `..` are not names", |s| s != "." && s != "..")
}

fn valid_path() -> impl Strategy<Value = String> {
    prop::collection::vec(segment(), 1..6).prop_map(|segments| format!("/{}", segments.join("/")))
}

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn any_text_is_refused_exactly_when_not_absolute_or_relative_in_a_segment(text in path_like_text()) {
        let relative = text.strip_prefix('/').map(|rest| rest.split('/').any(|s| s == "." || s == ".."));
        match encode_path(&text) {
            Ok(encoded) => {
                prop_assert_eq!(relative, Some(false));
                prop_assert!(encoded.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~%/".contains(&b)));
                prop_assert_eq!(percent_decode(&encoded), text.as_bytes());
            }
            Err(CoordError::InvalidPath { .. }) => prop_assert_ne!(relative, Some(false)),
            Err(other) => prop_assert!(false, "unexpected {:?}", other),
        }
    }

    #[test]
    fn every_path_the_coordinator_admits_is_sent_as_itself(path in valid_path(), trailing in any::<bool>()) {
        let path = if trailing { format!("{path}/") } else { path };
        let encoded = encode_path(&path).expect("an admitted path is encoded");
        prop_assert_eq!(percent_decode(&encoded), path.as_bytes());
        // Segments stay segments: no `/` is encoded into one, and none is added or lost.
        prop_assert_eq!(encoded.matches('/').count(), path.matches('/').count());
    }

    #[test]
    fn a_child_is_named_by_its_name_and_listed_after_its_ancestors(dir in valid_path(), name in segment()) {
        for parent in [dir.clone(), format!("{dir}/"), "/".to_string()] {
            let child = child_path(&parent, &name);
            prop_assert_eq!(node_name(&child), name.as_str());
            let chain = ancestors_and_self(&child);
            prop_assert_eq!(chain.last().copied(), Some(child.as_str()));
            let parent = without_trailing_slash(&parent);
            prop_assert_eq!(&without_trailing_slash(&parent), &parent);
            if parent != "/" {
                prop_assert_eq!(chain[chain.len() - 2], parent.as_str());
                let with_slash = format!("{child}/");
                prop_assert_eq!(chain, ancestors_and_self(&with_slash));
            }
        }
    }

    #[test]
    fn any_text_is_joined_named_and_listed_without_panicking(text in path_like_text(), name in ".{0,4}") {
        let _ = child_path(&text, &name);
        let _ = node_name(&text);
        let _ = without_trailing_slash(&text);
        for ancestor in ancestors_and_self(&text) {
            prop_assert!(text.starts_with(ancestor));
        }
        let _ = encode_segment(&text);
    }
}
