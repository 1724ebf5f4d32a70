//! Marathon's path ids (`/prod/web`): how a sent id is made canonical, and which ids are valid.
//!
//! Canonical form: absolute (a relative id is taken relative to a base group, the root for an app's
//! own id and the app's parent group for its dependencies), segments split on `/` with empty ones
//! dropped (so `//a/b/` is `/a/b`), `.` dropped and `..` removing the segment before it (never above
//! the root). Each segment must be dot-separated labels of lowercase letters, digits and `-`, with no
//! label starting or ending with `-` (Marathon's `ID_PATH_SEGMENT_PATTERN`, checked by hand here).
//!
//! Marathon sets no length limit; Corral does (`MAX_ID_LENGTH`), because a task id is the app id
//! made safe, a dot and a uuid (`prod_web.<uuid>`), and the agents name each task's sandbox
//! directory after it: a name longer than a file name may be (255 bytes) breaks the task's launch.

/// Marathon's pattern for one segment, as its error message prints it.
pub(super) const SEGMENT_PATTERN: &str =
    r"^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$";

/// The longest file name (`NAME_MAX` on Linux): the agents name a task's sandbox after its id.
const FILE_NAME_MAX: usize = 255;

/// A uuid in text form, the end of every task id.
const UUID_LENGTH: usize = 36;

/// The longest canonical app id: `/`, then the id made safe, a `.` and a uuid within a file name.
pub const MAX_ID_LENGTH: usize = "/".len() + FILE_NAME_MAX - ".".len() - UUID_LENGTH;

/// The last segments that would collide with the routes under `/v2/apps/{id}`.
pub(super) const RESERVED_LAST_SEGMENTS: [&str; 5] = ["restart", "tasks", "versions", ".", ".."];

/// `id` made absolute against `base` (an absolute group id such as `/` or `/prod`) and canonical.
pub fn canonical_path(id: &str, base: &str) -> String {
    let start = if id.starts_with('/') { "" } else { base };
    let mut segments: Vec<&str> = Vec::new();
    for segment in start.split('/').chain(id.split('/')) {
        match segment {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            name => segments.push(name),
        }
    }
    format!("/{}", segments.join("/"))
}

/// The group an absolute id belongs to: `/prod/web` → `/prod`, `/web` → `/`.
pub fn parent_path(id: &str) -> String {
    match id.trim_end_matches('/').rsplit_once('/') {
        Some(("", _)) | None => "/".to_string(),
        Some((parent, _)) => parent.to_string(),
    }
}

/// Every segment of `id` (as sent: `.` and `..` are allowed) matches Marathon's segment pattern.
pub(super) fn has_valid_segments(id: &str) -> bool {
    id.split('/').filter(|segment| !segment.is_empty()).all(is_valid_segment)
}

/// The last segment as sent is not one of `RESERVED_LAST_SEGMENTS`.
pub(super) fn ends_with_reserved_segment(id: &str) -> bool {
    id.split('/').rfind(|segment| !segment.is_empty()).is_some_and(|last| RESERVED_LAST_SEGMENTS.contains(&last))
}

fn is_valid_segment(segment: &str) -> bool {
    segment == "." || segment == ".." || segment.split('.').all(is_valid_label)
}

fn is_valid_label(label: &str) -> bool {
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-';
    !label.is_empty() && label.chars().all(allowed) && !label.starts_with('-') && !label.ends_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_canonical(id: &str, base: &str, expected: &str) {
        assert_eq!(canonical_path(id, base), expected, "{id:?} against {base:?}");
    }

    #[test]
    fn ids_become_absolute_and_canonical() {
        check_canonical("web", "/", "/web");
        check_canonical("/web", "/prod", "/web");
        check_canonical("web", "/prod", "/prod/web");
        check_canonical("/prod/web/", "/", "/prod/web");
        check_canonical("//prod//web", "/", "/prod/web");
        check_canonical("../db", "/prod/web", "/prod/db");
        check_canonical("./web", "/prod", "/prod/web");
        check_canonical("/../../web", "/", "/web");
        check_canonical("", "/", "/");
        check_canonical("/", "/", "/");
    }

    #[test]
    fn parents() {
        assert_eq!(parent_path("/prod/web"), "/prod");
        assert_eq!(parent_path("/web"), "/");
        assert_eq!(parent_path("/"), "/");
    }

    #[test]
    fn segments_follow_marathons_pattern() {
        for valid in ["/a", "/web-1", "/a.b.c", "/0", "/prod/web.v2", "web", "../x", "/a/./b", "/1-2-3"] {
            assert!(has_valid_segments(valid), "{valid} is valid");
        }
        for invalid in ["/a b", "/a#$%^&*b", "/-dash", "/dash-", "/Upper", "/a..b", "/a.", "/.a", "/a_b", "/a.-b"] {
            assert!(!has_valid_segments(invalid), "{invalid} is invalid");
        }
    }

    #[test]
    fn reserved_last_segments() {
        assert!(ends_with_reserved_segment("/app/tasks"));
        assert!(ends_with_reserved_segment("/versions/"));
        assert!(ends_with_reserved_segment("/a/.."));
        assert!(!ends_with_reserved_segment("/tasks/app"));
    }
}
