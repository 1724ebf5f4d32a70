//! A running deployment as `GET /v2/deployments` shows it, in Marathon's JSON field names.
//! `currentStep` counts from 1, as Marathon's `DeploymentActor` numbers steps; Corral has no pods
//! and no readiness checks, so `affectedPods` and each `readinessCheckResults` are empty.

use serde::{Deserialize, Serialize};

use super::app::{AppId, Version};
use super::plan::{DeploymentAction, DeploymentId, DeploymentPlan};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentView {
    pub id: DeploymentId,
    pub version: Version,
    pub affected_apps: Vec<AppId>,
    pub affected_pods: Vec<String>,
    pub steps: Vec<StepView>,
    pub current_actions: Vec<CurrentActionView>,
    pub current_step: usize,
    pub total_steps: usize,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepView {
    pub actions: Vec<ActionView>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionView {
    pub action: String,
    pub app: AppId,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentActionView {
    pub action: String,
    pub app: AppId,
    pub readiness_check_results: Vec<serde_json::Value>,
}

/// The view of `plan` while it runs the step at `step_index` (counted from 0; past the end means
/// the last step). A plan without steps shows step 0 and no current actions.
pub fn deployment_view(plan: &DeploymentPlan, step_index: usize) -> DeploymentView {
    let step_index = step_index.min(plan.steps.len().saturating_sub(1));
    let current = plan.steps.get(step_index).map(|step| step.actions.as_slice()).unwrap_or_default();
    DeploymentView {
        id: plan.id.clone(),
        version: plan.version.clone(),
        affected_apps: plan.affected_apps().into_iter().collect(),
        affected_pods: Vec::new(),
        steps: plan
            .steps
            .iter()
            .map(|step| StepView { actions: step.actions.iter().map(action_view).collect() })
            .collect(),
        current_actions: current
            .iter()
            .map(|action| CurrentActionView {
                action: action.name().to_string(),
                app: action.app().id.clone(),
                readiness_check_results: Vec::new(),
            })
            .collect(),
        current_step: if plan.steps.is_empty() { 0 } else { step_index + 1 },
        total_steps: plan.steps.len(),
    }
}

fn action_view(action: &DeploymentAction) -> ActionView {
    ActionView { action: action.name().to_string(), app: action.app().id.clone() }
}
