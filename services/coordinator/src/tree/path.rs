//! ZooKeeper path rules: absolute, `/`-separated, no empty, `.` or `..` segments, no control characters.

use super::TreeError;

/// Checks a znode path. `allow_trailing_slash` admits `/a/` for sequential creates, whose name
/// is then only the sequence number.
pub fn validate_path(path: &str, allow_trailing_slash: bool) -> Result<(), TreeError> {
    let invalid = |reason: &str| Err(TreeError::InvalidPath { path: path.to_string(), reason: reason.to_string() });
    if !path.starts_with('/') {
        return invalid("must start with '/'");
    }
    if path == "/" {
        return Ok(());
    }
    let body = match path.strip_suffix('/') {
        Some(body) if allow_trailing_slash => body,
        Some(_) => return invalid("must not end with '/'"),
        None => path,
    };
    for segment in body[1..].split('/') {
        match segment {
            "" => return invalid("empty segment"),
            "." | ".." => return invalid("relative segments '.' and '..' are not allowed"),
            s if s.chars().any(|c| c.is_control()) => return invalid("control characters are not allowed"),
            _ => {}
        }
    }
    Ok(())
}

/// Splits a valid, non-root path into its parent path and its last segment.
pub fn parent_and_name(path: &str) -> (&str, &str) {
    let cut = path.rfind('/').expect("a valid path contains '/'");
    let parent = if cut == 0 { "/" } else { &path[..cut] };
    (parent, &path[cut + 1..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, trailing: bool, ok: bool) {
        assert_eq!(validate_path(path, trailing).is_ok(), ok, "{path:?} trailing={trailing}");
    }

    #[test]
    fn accepts_and_rejects_paths() {
        check("/", false, true);
        check("/a", false, true);
        check("/a/b-c_d.e", false, true);
        check("", false, false);
        check("a", false, false);
        check("/a/", false, false);
        check("/a/", true, true);
        check("//a", false, false);
        check("/a//b", false, false);
        check("/a/./b", false, false);
        check("/a/..", false, false);
        check("/a\u{0}b", false, false);
    }

    #[test]
    fn splits_parent_and_name() {
        assert_eq!(parent_and_name("/a"), ("/", "a"));
        assert_eq!(parent_and_name("/a/b/c"), ("/a/b", "c"));
    }
}
