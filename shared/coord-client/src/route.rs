//! Request targets of the coordinator's client API: znode paths turned into percent-encoded URL paths.

use crate::CoordError;

/// `/v1/znodes/{path}`: the target of a znode read or write. The root is `/v1/znodes/`.
pub(crate) fn znode_route(path: &str) -> Result<String, CoordError> {
    Ok(format!("/v1/znodes{}", encode_path(path)?))
}

/// `/v1/children/{path}`.
pub(crate) fn children_route(path: &str) -> Result<String, CoordError> {
    Ok(format!("/v1/children{}", encode_path(path)?))
}

/// `/v1/sessions/{id}` and, with a suffix, `/v1/sessions/{id}/keepalive`.
pub(crate) fn session_route(id: u64, suffix: &str) -> String {
    format!("/v1/sessions/{id}{suffix}")
}

/// Percent-encodes every segment of a znode path and keeps the `/` between them, so `/a b/c`
/// becomes `/a%20b/c`. A trailing `/` (sequential create under a parent) is kept.
pub(crate) fn encode_path(path: &str) -> Result<String, CoordError> {
    let invalid = |reason| CoordError::InvalidPath { path: path.to_owned(), reason };
    let relative = path.strip_prefix('/').ok_or_else(|| invalid("it must start with '/'"))?;
    let mut encoded = String::with_capacity(path.len() + 1);
    for segment in relative.split('/') {
        if segment == "." || segment == ".." {
            return Err(invalid("'.' and '..' are not allowed as segments"));
        }
        encoded.push('/');
        encoded.push_str(&encode_segment(segment));
    }
    Ok(encoded)
}

/// Percent-encodes one path segment: everything but RFC 3986's unreserved characters.
pub(crate) fn encode_segment(segment: &str) -> String {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut encoded = String::with_capacity(segment.len());
    for &byte in segment.as_bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push('%');
            encoded.push(char::from(HEX[usize::from(byte >> 4)]));
            encoded.push(char::from(HEX[usize::from(byte & 0x0F)]));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(path: &str, expected: Option<&str>) {
        let route = znode_route(path).ok();
        assert_eq!(route.as_deref(), expected, "route of {path:?}");
    }

    #[test]
    fn builds_znode_routes() {
        check("/", Some("/v1/znodes/"));
        check("/a/b", Some("/v1/znodes/a/b"));
        check("/a/", Some("/v1/znodes/a/"));
        check("/marathon/json.info_0000000001", Some("/v1/znodes/marathon/json.info_0000000001"));
        check("/a b/c?d#e", Some("/v1/znodes/a%20b/c%3Fd%23e"));
        check("/apps/%2F", Some("/v1/znodes/apps/%252F"));
        check("/é", Some("/v1/znodes/%C3%A9"));
        check("a/b", None);
        check("", None);
        check("/a/../b", None);
        check("/.", None);
    }

    #[test]
    fn builds_children_and_session_routes() {
        assert_eq!(children_route("/").unwrap(), "/v1/children/");
        assert_eq!(children_route("/x/y").unwrap(), "/v1/children/x/y");
        assert_eq!(session_route(42, "/keepalive"), "/v1/sessions/42/keepalive");
        assert_eq!(session_route(42, ""), "/v1/sessions/42");
    }

    #[test]
    fn keeps_unreserved_characters() {
        assert_eq!(encode_segment("Az09-._~"), "Az09-._~");
        assert_eq!(encode_segment("a:b@c+d"), "a%3Ab%40c%2Bd");
    }
}
