//! The JSON body of Marathon's error answers: `{"message": ..., "details": ...}`, plus the
//! `deployments` a 409 names.
//!
//! `details` has two shapes in Marathon: a list of `{"path", "errors"}` for invalid objects (422)
//! and for JSON of the wrong shape (400), and a plain string for text that is not JSON at all (400).
//! Paths are Marathon's: `/` for the whole object, `/upgradeStrategy/minimumHealthCapacity` for a
//! field, and `(i)` for a list element, as in `/healthChecks(0)/command`.

use serde::{Deserialize, Serialize};

use super::deployment::DeploymentRef;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<ErrorDetails>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deployments: Option<Vec<DeploymentRef>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ErrorDetails {
    Fields(Vec<ErrorDetail>),
    Text(String),
}

/// The errors found at one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorDetail {
    pub path: String,
    pub errors: Vec<String>,
}

impl ErrorDetail {
    pub fn new(path: &str, error: &str) -> ErrorDetail {
        ErrorDetail { path: path.to_string(), errors: vec![error.to_string()] }
    }
}

impl ErrorBody {
    /// A body with only a message, such as 404's `App '/x' does not exist`.
    pub fn message(message: &str) -> ErrorBody {
        ErrorBody { message: message.to_string(), details: None, deployments: None }
    }

    /// 422: the object was read but breaks Marathon's rules.
    pub fn invalid_object(details: Vec<ErrorDetail>) -> ErrorBody {
        ErrorBody { details: Some(ErrorDetails::Fields(details)), ..ErrorBody::message("Object is not valid") }
    }

    /// 400: JSON whose values have the wrong type or shape.
    pub fn invalid_json(details: Vec<ErrorDetail>) -> ErrorBody {
        ErrorBody { details: Some(ErrorDetails::Fields(details)), ..ErrorBody::message("Invalid JSON") }
    }

    /// 400: text that is not JSON; `reason` says where the parser stopped.
    pub fn unparsable_json(reason: &str) -> ErrorBody {
        ErrorBody { details: Some(ErrorDetails::Text(reason.to_string())), ..ErrorBody::message("Invalid JSON") }
    }

    /// 404 for an app id.
    pub fn unknown_app(app_id: &str) -> ErrorBody {
        ErrorBody::message(&format!("App '{app_id}' does not exist"))
    }

    /// 409 for `POST /v2/apps` with an id in use.
    pub fn app_exists(app_id: &str) -> ErrorBody {
        ErrorBody::message(&format!("An app with id [{app_id}] already exists."))
    }

    /// 409 for a change to an app that deployments are still changing.
    pub fn app_locked(deployment_ids: &[String]) -> ErrorBody {
        let message = "App is locked by one or more deployments. Override with the option '?force=true'. \
                       View details at '/v2/deployments/<DEPLOYMENT_ID>'.";
        let deployments = deployment_ids.iter().map(|id| DeploymentRef { id: id.clone() }).collect();
        ErrorBody { deployments: Some(deployments), ..ErrorBody::message(message) }
    }

    /// 404 from `GET /v2/leader` (and 503 elsewhere) while no Marathon leads.
    pub fn no_leader() -> ErrorBody {
        ErrorBody::message("There is no leader")
    }
}
