//! A group: a folder of apps and groups (`/v2/groups`, and the `original` and `target` of a
//! deployment plan). Corral has no pods, so `pods` is always empty.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::app::AppDefinition;
use super::timestamp::Timestamp;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Group {
    /// An absolute path; the root group is `/`.
    pub id: String,
    #[serde(default)]
    pub apps: Vec<AppDefinition>,
    #[serde(default)]
    pub groups: Vec<Group>,
    #[serde(default)]
    pub pods: Vec<Value>,
    #[serde(default)]
    pub dependencies: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Timestamp>,
}

impl Group {
    pub fn empty(id: &str) -> Group {
        Group {
            id: id.to_string(),
            apps: Vec::new(),
            groups: Vec::new(),
            pods: Vec::new(),
            dependencies: Vec::new(),
            version: None,
        }
    }
}
