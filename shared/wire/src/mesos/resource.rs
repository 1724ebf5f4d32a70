//! `Resource` as Mesos writes it: a name, a value type and the matching value.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ValueType {
    Scalar,
    Ranges,
    Set,
    Text,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Scalar {
    pub value: f64,
}

/// An inclusive range of integers, such as ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    pub begin: u64,
    pub end: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Ranges {
    #[serde(default)]
    pub range: Vec<Range>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Set {
    #[serde(default)]
    pub item: Vec<String>,
}

/// One resource: `{"name":"cpus","type":"SCALAR","scalar":{"value":0.5},"role":"*"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub name: String,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Set>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
}

impl Resource {
    pub fn scalar(name: &str, value: f64) -> Self {
        Resource {
            name: name.to_string(),
            value_type: ValueType::Scalar,
            scalar: Some(Scalar { value }),
            ranges: None,
            set: None,
            role: Some("*".to_string()),
        }
    }

    pub fn ranges(name: &str, range: Vec<Range>) -> Self {
        Resource {
            name: name.to_string(),
            value_type: ValueType::Ranges,
            scalar: None,
            ranges: Some(Ranges { range }),
            set: None,
            role: Some("*".to_string()),
        }
    }

    pub fn set(name: &str, item: Vec<String>) -> Self {
        Resource {
            name: name.to_string(),
            value_type: ValueType::Set,
            scalar: None,
            ranges: None,
            set: Some(Set { item }),
            role: Some("*".to_string()),
        }
    }
}
