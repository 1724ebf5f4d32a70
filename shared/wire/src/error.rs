//! The JSON body of every HTTP error Corral answers with (Marathon's routes use their own shape).

use serde::{Deserialize, Serialize};

/// `{"message": "...", "code": "..."}`: a sentence for people and a stable code for programs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub message: String,
    /// A stable, machine-readable name of the error (`no_node`, `bad_version`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Extra facts a program may act on, such as the current zxid after a 410.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zxid: Option<u64>,
}
