//! How Marathon places, replaces and gives up on an app's tasks: `constraints`, `upgradeStrategy`,
//! `unreachableStrategy` and `killSelection`.

use serde::{Deserialize, Serialize};

/// `[field, operator]` or `[field, operator, value]`, such as `["hostname", "UNIQUE"]`. Kept as the
/// strings the client sent; validation checks the operator and value.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Constraint(pub Vec<String>);

impl Constraint {
    pub fn field(&self) -> Option<&str> {
        self.0.first().map(String::as_str)
    }

    pub fn operator(&self) -> Option<&str> {
        self.0.get(1).map(String::as_str)
    }

    pub fn value(&self) -> Option<&str> {
        self.0.get(2).map(String::as_str)
    }
}

/// During a restart: keep at least `minimumHealthCapacity × instances` healthy tasks and run at most
/// `(1 + maximumOverCapacity) × instances` tasks. Both are fractions in [0, 1].
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpgradeStrategy {
    #[serde(default = "one")]
    pub minimum_health_capacity: f64,
    #[serde(default = "one")]
    pub maximum_over_capacity: f64,
}

fn one() -> f64 {
    1.0
}

impl Default for UpgradeStrategy {
    fn default() -> UpgradeStrategy {
        UpgradeStrategy { minimum_health_capacity: 1.0, maximum_over_capacity: 1.0 }
    }
}

/// What to do with tasks on an agent that stopped answering: `"disabled"` (wait for it), or after
/// `inactiveAfterSeconds` start a replacement and after `expungeAfterSeconds` forget the old task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UnreachableStrategyJson", into = "UnreachableStrategyJson")]
pub enum UnreachableStrategy {
    Disabled,
    Enabled { inactive_after_seconds: i64, expunge_after_seconds: i64 },
}

impl Default for UnreachableStrategy {
    /// Marathon's default since 1.5: replace at once, forget at once.
    fn default() -> UnreachableStrategy {
        UnreachableStrategy::Enabled { inactive_after_seconds: 0, expunge_after_seconds: 0 }
    }
}

/// The two JSON spellings of an unreachable strategy.
#[derive(Serialize, Deserialize)]
#[serde(untagged)]
enum UnreachableStrategyJson {
    Word(String),
    Times {
        #[serde(rename = "inactiveAfterSeconds", default)]
        inactive_after_seconds: i64,
        #[serde(rename = "expungeAfterSeconds", default)]
        expunge_after_seconds: i64,
    },
}

impl TryFrom<UnreachableStrategyJson> for UnreachableStrategy {
    type Error = String;

    fn try_from(json: UnreachableStrategyJson) -> Result<UnreachableStrategy, String> {
        match json {
            UnreachableStrategyJson::Word(word) if word == "disabled" => Ok(UnreachableStrategy::Disabled),
            UnreachableStrategyJson::Word(word) => {
                Err(format!("unreachableStrategy must be \"disabled\" or an object, not \"{word}\""))
            }
            UnreachableStrategyJson::Times { inactive_after_seconds, expunge_after_seconds } => {
                Ok(UnreachableStrategy::Enabled { inactive_after_seconds, expunge_after_seconds })
            }
        }
    }
}

impl From<UnreachableStrategy> for UnreachableStrategyJson {
    fn from(strategy: UnreachableStrategy) -> UnreachableStrategyJson {
        match strategy {
            UnreachableStrategy::Disabled => UnreachableStrategyJson::Word("disabled".to_string()),
            UnreachableStrategy::Enabled { inactive_after_seconds, expunge_after_seconds } => {
                UnreachableStrategyJson::Times { inactive_after_seconds, expunge_after_seconds }
            }
        }
    }
}

/// Which tasks go first when an app scales down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KillSelection {
    #[default]
    YoungestFirst,
    OldestFirst,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreachable_strategy_has_two_spellings() {
        let disabled: UnreachableStrategy = serde_json::from_str(r#""disabled""#).unwrap();
        assert_eq!(disabled, UnreachableStrategy::Disabled);
        assert_eq!(serde_json::to_string(&disabled).unwrap(), r#""disabled""#);

        let times: UnreachableStrategy = serde_json::from_str(r#"{"inactiveAfterSeconds": 60}"#).unwrap();
        assert_eq!(times, UnreachableStrategy::Enabled { inactive_after_seconds: 60, expunge_after_seconds: 0 });
        assert_eq!(serde_json::to_string(&times).unwrap(), r#"{"inactiveAfterSeconds":60,"expungeAfterSeconds":0}"#);

        assert!(serde_json::from_str::<UnreachableStrategy>(r#""sometimes""#).is_err());
    }
}
