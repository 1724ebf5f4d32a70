//! Pure arithmetic on znode paths: joining a child name, taking a node's name, listing ancestors.

/// `dir` + `/` + `name`, without doubling the slash under the root.
pub(crate) fn child_path(dir: &str, name: &str) -> String {
    format!("{}/{name}", dir.trim_end_matches('/'))
}

/// `dir` without a trailing `/`, except for the root, which stays `/`.
pub(crate) fn without_trailing_slash(dir: &str) -> String {
    match dir.trim_end_matches('/') {
        "" => "/".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// The last segment of a path (`/a/b` → `b`).
pub(crate) fn node_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Every ancestor of `path` below the root, then `path` itself: `/a/b/c` → `/a`, `/a/b`, `/a/b/c`.
pub(crate) fn ancestors_and_self(path: &str) -> Vec<&str> {
    let trimmed = path.trim_end_matches('/');
    trimmed
        .char_indices()
        .filter(|&(index, c)| c == '/' && index > 0)
        .map(|(index, _)| &trimmed[..index])
        .chain((!trimmed.is_empty()).then_some(trimmed))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_ancestors_and_self() {
        let check = |path: &str, expected: &[&str]| {
            assert_eq!(ancestors_and_self(path), expected, "ancestors of {path:?}");
        };
        check("/", &[]);
        check("/a", &["/a"]);
        check("/a/b/c", &["/a", "/a/b", "/a/b/c"]);
        check("/a/b/", &["/a", "/a/b"]);
    }

    #[test]
    fn joins_and_splits_names() {
        assert_eq!(child_path("/", "n_"), "/n_");
        assert_eq!(child_path("/a/", "n_"), "/a/n_");
        assert_eq!(child_path("/a", "n_0000000001"), "/a/n_0000000001");
        assert_eq!(node_name("/a/n_0000000001"), "n_0000000001");
        assert_eq!(node_name("/"), "");
        assert_eq!(without_trailing_slash("/"), "/");
        assert_eq!(without_trailing_slash("/a/"), "/a");
    }
}
