//! What the app runs: exactly one of `cmd` and `args`, or a container image (or both an image and
//! one of them); and the `executor`.

use super::marathon::AppDefinition;
use super::violations::Violations;

pub(super) const EXECUTOR_PATTERN: &str = "^(//cmd)|(/?[^/]+(/[^/]+)*)|$";

pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    let has_cmd = app.cmd.is_some();
    let has_args = !app.args.is_empty();
    // A Docker container, or a Mesos container running a Docker image.
    let has_image = app.container.as_ref().is_some_and(|container| container.docker.is_some());
    if !((has_cmd ^ has_args) || (!(has_cmd && has_args) && has_image)) {
        violations.add("", "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.");
    }
    if app.cmd.as_deref() == Some("") {
        violations.add("", "must not be an empty string");
    }
    if !is_valid_executor(&app.executor) {
        violations.add("/executor", format!("must fully match regular expression '{EXECUTOR_PATTERN}'"));
    }
}

/// `""`, `//cmd`, or a path of non-empty segments with an optional leading `/`.
fn is_valid_executor(executor: &str) -> bool {
    let path = executor.strip_prefix('/').unwrap_or(executor);
    executor.is_empty() || executor == "//cmd" || path.split('/').all(|segment| !segment.is_empty())
}
