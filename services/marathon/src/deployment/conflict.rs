//! One deployment per app at a time. A new plan that acts on an app some running deployment
//! acts on is refused (409 naming the running deployments) unless forced, in which case those
//! deployments are cancelled first, as Marathon's `DeploymentPlan.isAffectedBy` and its
//! deployment manager decide.

use super::plan::{DeploymentId, DeploymentPlan};

/// The running deployments that act on an app `new` acts on, in the order given.
pub fn conflicting_deployments(running: &[DeploymentPlan], new: &DeploymentPlan) -> Vec<DeploymentId> {
    let affected = new.affected_apps();
    running
        .iter()
        .filter(|deployment| deployment.id != new.id && !deployment.affected_apps().is_disjoint(&affected))
        .map(|deployment| deployment.id.clone())
        .collect()
}

/// What to do with a new deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Admission {
    /// Nothing conflicts: start it.
    Start,
    /// Answer 409 listing these deployments.
    Refuse { conflicts: Vec<DeploymentId> },
    /// Forced: cancel these deployments (no rollback), then start it.
    CancelThenStart { cancel: Vec<DeploymentId> },
}

pub fn admit(running: &[DeploymentPlan], new: &DeploymentPlan, force: bool) -> Admission {
    let conflicts = conflicting_deployments(running, new);
    match (conflicts.is_empty(), force) {
        (true, _) => Admission::Start,
        (false, false) => Admission::Refuse { conflicts },
        (false, true) => Admission::CancelThenStart { cancel: conflicts },
    }
}
