//! Deployments as Marathon shows them: the `{"deploymentId", "version"}` answer to every change, the
//! `/v2/deployments` listing, and the plan carried by deployment events.

use serde::{Deserialize, Serialize};

use super::group::Group;
use super::timestamp::Timestamp;

/// The answer to a change: the deployment that carries it out and the new version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentResult {
    pub deployment_id: String,
    pub version: Timestamp,
}

/// `{"id": ...}`: how an app lists its running deployments and how a 409 names the blocking ones.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentRef {
    pub id: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum DeploymentActionName {
    StartApplication,
    StopApplication,
    ScaleApplication,
    RestartApplication,
    StartPod,
    StopPod,
    ScalePod,
    RestartPod,
    ResolveArtifacts,
}

/// One thing a step does to one app (or pod).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentAction {
    pub action: DeploymentActionName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
}

impl DeploymentAction {
    pub fn on_app(action: DeploymentActionName, app_id: &str) -> DeploymentAction {
        DeploymentAction { action, app: Some(app_id.to_string()), pod: None }
    }
}

/// The actions of one step run together; steps run one after another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeploymentStep {
    pub actions: Vec<DeploymentAction>,
}

/// An action of the current step, with how its new tasks answer their readiness checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CurrentAction {
    pub action: DeploymentActionName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    #[serde(default)]
    pub readiness_check_results: Vec<ReadinessCheckResult>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReadinessCheckResult {
    pub name: String,
    pub task_id: String,
    pub ready: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_response: Option<HttpResponse>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct HttpResponse {
    pub status: i32,
    pub content_type: String,
    pub body: String,
}

/// One entry of `GET /v2/deployments` (a top-level JSON array of these). `currentStep` counts from 1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployment {
    pub id: String,
    pub version: Timestamp,
    pub affected_apps: Vec<String>,
    #[serde(default)]
    pub affected_pods: Vec<String>,
    pub steps: Vec<DeploymentStep>,
    pub current_actions: Vec<CurrentAction>,
    pub current_step: u32,
    pub total_steps: u32,
}

/// The plan in deployment events: the root group before (`original`) and after (`target`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeploymentPlan {
    pub id: String,
    pub original: Group,
    pub target: Group,
    pub steps: Vec<DeploymentStep>,
    pub version: Timestamp,
}
