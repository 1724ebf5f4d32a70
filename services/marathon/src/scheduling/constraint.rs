//! Placement constraints as Marathon writes them, `[field, operator, value?]`, parsed and validated once,
//! so that matching never meets a bad regular expression or a missing number.
//!
//! The field is `hostname` (or `@hostname`) or the name of an agent attribute. The operators are
//! Marathon's: UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER and IS. LIKE and UNLIKE match the
//! whole value, as Java's `String.matches` does, with the `regex` crate's syntax (no look-around or
//! back-references, which Java has).

use std::fmt;

use regex::Regex;

use super::placements::FieldTally;

/// What a constraint looks at on an agent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ConstraintField {
    Hostname,
    /// An agent attribute, by name.
    Attribute(String),
}

impl ConstraintField {
    fn parse(field: &str) -> ConstraintField {
        match field {
            "hostname" | "@hostname" => ConstraintField::Hostname,
            name => ConstraintField::Attribute(name.to_string()),
        }
    }
}

/// An operator with its value, checked.
#[derive(Debug, Clone)]
pub enum Operator {
    /// No two tasks of the app share a value.
    Unique,
    /// Every task on this value; without one, on the value of the first task placed.
    Cluster(Option<String>),
    /// Spread evenly over the values: a value without tasks is always accepted, one with tasks only
    /// if it has the fewest and at least `min_groups` values have tasks.
    GroupBy { min_groups: usize },
    /// The value matches the whole regular expression.
    Like(Regex),
    /// The value does not match the whole regular expression, or the agent lacks the attribute.
    Unlike(Regex),
    /// At most this many tasks per value.
    MaxPer(usize),
    /// The value is exactly this.
    Is(String),
}

/// One constraint of an app, valid by construction.
#[derive(Debug, Clone)]
pub struct Constraint {
    field: ConstraintField,
    operator: Operator,
    /// The constraint as written (two or three strings), for JSON and messages.
    written: Vec<String>,
}

const OPERATORS: &str = "UNIQUE, CLUSTER, GROUP_BY, LIKE, UNLIKE, MAX_PER, IS";

impl Constraint {
    /// Reads `[field, operator]` or `[field, operator, value]`; the error is the message for the
    /// constraint in a 422 answer.
    pub fn parse(parts: &[String]) -> Result<Constraint, String> {
        let (field, operator, value) = match parts {
            [field, operator] => (field, operator, None),
            [field, operator, value] => (field, operator, Some(value.as_str())),
            _ => return Err("Each constraint must have either 2 or 3 fields".to_string()),
        };
        if field.is_empty() {
            return Err("Constraint field must not be empty".to_string());
        }
        let operator = match operator.as_str() {
            "UNIQUE" => match value {
                None => Operator::Unique,
                Some(_) => return Err("Value specified but not used".to_string()),
            },
            "CLUSTER" => Operator::Cluster(value.filter(|v| !v.is_empty()).map(str::to_string)),
            "GROUP_BY" => match value {
                None => Operator::GroupBy { min_groups: 0 },
                Some(text) => {
                    let number = integer(text).ok_or("Value was specified but is not a number")?;
                    Operator::GroupBy { min_groups: number.max(0) as usize }
                }
            },
            "LIKE" => Operator::Like(full_match(value)?),
            "UNLIKE" => Operator::Unlike(full_match(value)?),
            "MAX_PER" => {
                let number = value.and_then(integer).ok_or("Value was not specified or is not a number")?;
                Operator::MaxPer(number.max(0) as usize)
            }
            "IS" => match value {
                Some(value) => Operator::Is(value.to_string()),
                None => return Err("IS needs a value".to_string()),
            },
            _ => return Err(format!("Constraint operator must be one of the following: [{OPERATORS}]")),
        };
        Ok(Constraint { field: ConstraintField::parse(field), operator, written: parts.to_vec() })
    }

    pub fn field(&self) -> &ConstraintField {
        &self.field
    }

    pub fn operator(&self) -> &Operator {
        &self.operator
    }

    /// The constraint as it was written, for JSON.
    pub fn as_strings(&self) -> &[String] {
        &self.written
    }

    /// Whether an agent whose field has `value` (`None`: the agent lacks the attribute) may run one
    /// more task of the app, given how the app's tasks are spread over that field so far.
    pub(super) fn allows(&self, value: Option<&str>, spread: &FieldTally) -> bool {
        let Some(value) = value else {
            // Only UNLIKE accepts an agent that lacks the attribute.
            return matches!(self.operator, Operator::Unlike(_));
        };
        match &self.operator {
            Operator::Unique => spread.count(value) == 0,
            Operator::Cluster(Some(wanted)) | Operator::Is(wanted) => value == wanted,
            Operator::Cluster(None) => spread.first_value().is_none_or(|first| first == Some(value)),
            Operator::GroupBy { min_groups } => {
                let count = spread.count(value);
                count == 0 || (spread.groups() >= *min_groups && Some(count) == spread.smallest_group())
            }
            Operator::Like(regex) => regex.is_match(value),
            Operator::Unlike(regex) => !regex.is_match(value),
            Operator::MaxPer(max) => spread.count(value) < *max,
        }
    }
}

/// Java's `Integer.parseInt`: an optional sign and decimal digits.
fn integer(text: &str) -> Option<i64> {
    text.parse::<i32>().ok().map(i64::from)
}

fn full_match(value: Option<&str>) -> Result<Regex, String> {
    let pattern = value.filter(|v| !v.is_empty()).ok_or("A regular expression value must be provided")?;
    Regex::new(&format!("^(?:{pattern})$")).map_err(|_| format!("'{pattern}' is not a valid regular expression"))
}

impl PartialEq for Constraint {
    fn eq(&self, other: &Constraint) -> bool {
        self.written == other.written
    }
}

impl Eq for Constraint {}

impl fmt::Display for Constraint {
    /// `["rack", "GROUP_BY", "3"]`, as in the app's JSON.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted: Vec<String> = self.written.iter().map(|part| format!("{part:?}")).collect();
        write!(f, "[{}]", quoted.join(", "))
    }
}
