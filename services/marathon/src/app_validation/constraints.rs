//! Placement constraints, `[field, operator, value?]`, with Marathon's operators and messages.
//!
//! LIKE and UNLIKE values are regular expressions. Their shape is checked first (balanced groups and
//! classes, no quantifier with nothing to repeat, no trailing `\`), with Marathon's messages. What
//! Marathon accepts but the scheduler cannot honour (an empty field, MAX_PER without a value, a
//! regular expression the `regex` crate refuses, such as look-around) is then refused with the
//! scheduler's message, since the scheduler skips a constraint it cannot parse.

use super::marathon::{AppDefinition, Constraint};
use super::violations::{element, Violations};

pub(super) fn check(app: &AppDefinition, violations: &mut Violations) {
    for (index, constraint) in app.constraints.iter().enumerate() {
        if let Err(message) = check_one(constraint).and_then(|()| schedulable(constraint)) {
            violations.add(&element("/constraints", index), message);
        }
    }
}

fn schedulable(constraint: &Constraint) -> Result<(), String> {
    crate::scheduling::Constraint::parse(&constraint.0).map(|_| ())
}

fn check_one(constraint: &Constraint) -> Result<(), String> {
    let parts = &constraint.0;
    if parts.len() > 3 {
        return Err(format!("illegal constraint specification {}", parts.join(",")));
    }
    let (Some(_field), Some(operator)) = (constraint.field(), constraint.operator()) else {
        return Err(if parts.is_empty() {
            "Missing field and operator".to_string()
        } else {
            format!("illegal constraint specification {}", parts.join(","))
        });
    };
    let value = constraint.value();
    let is_integer = |v: &str| v.parse::<i32>().is_ok();
    match operator {
        "UNIQUE" if value.is_some() => Err("Value specified but not used".to_string()),
        "UNIQUE" => Ok(()),
        "CLUSTER" | "IS" if value.is_none() => Err("Missing value".to_string()),
        "CLUSTER" | "IS" => Ok(()),
        "GROUP_BY" | "MAX_PER" if value.is_some_and(|v| !is_integer(v)) => {
            Err("Value was specified but is not a number".to_string())
        }
        "GROUP_BY" | "MAX_PER" => Ok(()),
        "LIKE" | "UNLIKE" => match value {
            None => Err("A regular expression value must be provided".to_string()),
            Some(pattern) if !is_plausible_regex(pattern) => {
                Err(format!("'{pattern}' is not a valid regular expression"))
            }
            Some(_) => Ok(()),
        },
        other => Err(format!("illegal constraint operator {other}")),
    }
}

/// A shape check of a regular expression: groups and classes balanced, every quantifier has
/// something to repeat, no dangling escape.
fn is_plausible_regex(pattern: &str) -> bool {
    let mut open_groups = 0usize;
    let mut in_class = false;
    let mut can_repeat = false;
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if chars.next().is_none() {
                return false;
            }
            can_repeat = true;
            continue;
        }
        if in_class {
            in_class = c != ']';
            can_repeat = !in_class;
            continue;
        }
        match c {
            '[' => {
                in_class = true;
                // A `]` right after `[` (or `[^`) is a literal member of the class.
                chars.next_if_eq(&'^');
                chars.next_if_eq(&']');
            }
            '(' => {
                open_groups += 1;
                can_repeat = false;
                // `(?:`, `(?=`, `(?!` and friends are group prefixes, not quantifiers.
                if chars.next_if_eq(&'?').is_some() {
                    chars.next();
                }
            }
            ')' if open_groups == 0 => return false,
            ')' => {
                open_groups -= 1;
                can_repeat = true;
            }
            '*' | '+' | '?' | '{' if !can_repeat => return false,
            '*' | '+' | '?' => {
                // A lazy or possessive suffix (`*?`, `++`) is part of the quantifier.
                chars.next_if(|next| *next == '?' || *next == '+');
                can_repeat = false;
            }
            '|' => can_repeat = false,
            _ => can_repeat = true,
        }
    }
    open_groups == 0 && !in_class
}

#[cfg(test)]
mod tests {
    use super::is_plausible_regex;

    #[test]
    fn regular_expression_shapes() {
        for valid in ["srv2.*", "a|b", "(rack-[0-9]+)?", "[]a]", r"\d{2,3}", "(?:x)+?", "^$", "[^]x]"] {
            assert!(is_plausible_regex(valid), "{valid} is plausible");
        }
        for invalid in ["*a", "(a", "a)", "[a", r"a\", "a|*", "(?:+)", "a**"] {
            assert!(!is_plausible_regex(invalid), "{invalid} is not");
        }
    }
}
