//! Offers of an agent's free resources to one framework, the agent attributes they carry, and the
//! filters a framework installs when it declines.

use serde::{Deserialize, Serialize};

use super::ids::{AgentId, FrameworkId, OfferId};
use super::resource::{Ranges, Resource, Scalar, Set, ValueType};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offer {
    pub id: OfferId,
    pub framework_id: FrameworkId,
    pub agent_id: AgentId,
    pub hostname: String,
    #[serde(default)]
    pub resources: Vec<Resource>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attributes: Vec<Attribute>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<serde_json::Value>,
}

/// `{"name":"rack","type":"TEXT","text":{"value":"a"}}`; numbers are SCALAR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Attribute {
    pub name: String,
    #[serde(rename = "type")]
    pub value_type: ValueType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<TextValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scalar: Option<Scalar>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ranges: Option<Ranges>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub set: Option<Set>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TextValue {
    pub value: String,
}

impl Attribute {
    /// Parses the agent's `--attributes` text, `rack:a;zone:west;level:3`: numbers become SCALAR.
    pub fn parse_list(text: &str) -> Result<Vec<Attribute>, String> {
        text.split(';')
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .map(|part| {
                let (name, value) =
                    part.split_once(':').ok_or_else(|| format!("attribute `{part}` is not of the form name:value"))?;
                let (name, value) = (name.trim(), value.trim());
                if name.is_empty() || value.is_empty() {
                    return Err(format!("attribute `{part}` needs a name and a value"));
                }
                Ok(match value.parse::<f64>() {
                    Ok(number) if number.is_finite() => Attribute {
                        name: name.to_string(),
                        value_type: ValueType::Scalar,
                        text: None,
                        scalar: Some(Scalar { value: number }),
                        ranges: None,
                        set: None,
                    },
                    _ => Attribute {
                        name: name.to_string(),
                        value_type: ValueType::Text,
                        text: Some(TextValue { value: value.to_string() }),
                        scalar: None,
                        ranges: None,
                        set: None,
                    },
                })
            })
            .collect()
    }

    /// The value as text, the way constraints compare it.
    pub fn value_text(&self) -> String {
        match (&self.text, &self.scalar) {
            (Some(text), _) => text.value.clone(),
            (None, Some(scalar)) => scalar.value.to_string(),
            _ => String::new(),
        }
    }
}

/// `{"refuse_seconds": 5.0}`: how long declined resources are not offered again to this framework.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize, Deserialize)]
pub struct Filters {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refuse_seconds: Option<f64>,
}

impl Filters {
    pub const DEFAULT_REFUSE_SECONDS: f64 = 5.0;

    pub fn refuse_seconds(&self) -> f64 {
        self.refuse_seconds.unwrap_or(Self::DEFAULT_REFUSE_SECONDS)
    }
}
