//! The app's `id` and `dependencies`: checked as sent, then made canonical (absolute, no trailing
//! slash, `.` and `..` resolved; dependencies relative to the app's parent group). The canonical
//! id must be at most `MAX_ID_LENGTH` long (see `path_id`).

use super::marathon::AppDefinition;
use super::path_id::{
    canonical_path, ends_with_reserved_segment, has_valid_segments, parent_path, MAX_ID_LENGTH, RESERVED_LAST_SEGMENTS,
    SEGMENT_PATTERN,
};
use super::violations::{element, Violations};

/// Checks `app.id` and `app.dependencies` and rewrites them in canonical form.
pub(super) fn check_and_canonicalize(app: &mut AppDefinition, violations: &mut Violations) {
    let sent = app.id.clone();
    app.id = canonical_path(&sent, "/");
    if !has_valid_segments(&sent) {
        violations.add("/id", pattern_message());
    } else if ends_with_reserved_segment(&sent) {
        let reserved = RESERVED_LAST_SEGMENTS.join(", ");
        violations.add("/id", format!("must not end with any of the following reserved keywords: {reserved}"));
    } else if app.id == "/" {
        violations.add("/id", "must not be root");
    } else if app.id.len() > MAX_ID_LENGTH {
        violations.add("/id", too_long_message(app.id.len()));
    }

    let parent = parent_path(&app.id);
    for (index, dependency) in app.dependencies.iter_mut().enumerate() {
        if has_valid_segments(dependency) {
            *dependency = canonical_path(dependency, &parent);
        } else {
            violations.add(&element("/dependencies", index), pattern_message());
        }
    }
}

fn too_long_message(length: usize) -> String {
    format!(
        "is {length} characters long; at most {MAX_ID_LENGTH} are allowed, so that its task ids \
         (the id, a dot and a uuid) are file names on the agents"
    )
}

fn pattern_message() -> String {
    format!("must fully match regular expression '{SEGMENT_PATTERN}'")
}
