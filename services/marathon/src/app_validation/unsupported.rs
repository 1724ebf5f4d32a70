//! Fields Marathon acts on and Corral does not yet: refused with a 422 that names the field and
//! says so, rather than stored and silently ignored. What the agents do with a task is the measure
//! (see `core/task_info.rs` and the agent's containerizers):
//!
//! - `container.volumes`: no volume is mounted, in a Docker container or a process task;
//! - `container.docker.parameters`: never passed to Docker (by the agent's policy);
//! - `user` with a Docker image: the container runs as the image's user (process tasks do run as
//!   `user`);
//! - `fetch` and the legacy `uris`: nothing is downloaded into the sandbox;
//! - `readinessChecks`: deployments wait for health checks only;
//! - health checks after the first: the agent runs only the first.
//!
//! Empty lists are accepted, since clients (marathon-python, marathon-lb's tooling) send
//! `"volumes": []`, `"fetch": []` and the like by default.

use super::marathon::{AppDefinition, AppUpdate};
use super::violations::Violations;

/// "Corral does not support {what} yet", and why it matters.
fn not_yet(what: &str, because: &str) -> String {
    format!("Corral does not support {what} yet: {because}")
}

/// The fields of the canonical app.
pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    if let Some(container) = &app.container {
        if !container.volumes.is_empty() {
            violations.add("/container/volumes", not_yet("volumes", "the agents mount none"));
        }
        if let Some(docker) = &container.docker {
            if !docker.parameters.is_empty() {
                let because = "the agents pass no parameters to Docker";
                violations.add("/container/docker/parameters", not_yet("Docker parameters", because));
            }
            if app.user.as_deref().is_some_and(|user| !user.trim().is_empty()) {
                let because = "a Docker container runs as its image's user (process tasks run as `user`)";
                violations.add("/user", not_yet("`user` with a Docker image", because));
            }
        }
    }
    if !app.fetch.is_empty() {
        violations.add("/fetch", not_yet("fetch", "the agents download nothing into the sandbox"));
    }
    if !app.readiness_checks.is_empty() {
        let because = "deployments wait for health checks only";
        violations.add("/readinessChecks", not_yet("readiness checks", because));
    }
    if app.health_checks.len() > 1 {
        let because = "the agents run only the first";
        violations.add("/healthChecks", not_yet("more than one health check", because));
    }
}

/// The legacy `uris` as sent (normalization turns them into `fetch`).
pub(super) fn check_request(request: &AppUpdate, violations: &mut Violations) {
    if request.uris.as_ref().is_some_and(|uris| !uris.is_empty()) {
        violations.add("/uris", not_yet("uris", "the agents download nothing into the sandbox"));
    }
}
