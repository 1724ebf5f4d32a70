//! [`JsonText`]: a JSON value kept as text where it matters, so a generated body can hold what
//! `serde_json::Value` cannot: numbers beyond `u64` and `f64` written exactly as chosen
//! (`99999999999999999999999`, `1e400`) and objects that repeat a key.

/// A JSON value whose numbers are literals and whose objects are lists of members.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum JsonText {
    Null,
    Bool(bool),
    /// The literal, e.g. `-1`, `9223372036854775808` or `1e400`.
    Number(String),
    Text(String),
    List(Vec<JsonText>),
    /// Members in order; a key may appear twice.
    Object(Vec<(String, JsonText)>),
}

impl JsonText {
    pub(super) fn number(literal: &str) -> JsonText {
        JsonText::Number(literal.to_string())
    }

    pub(super) fn text(text: &str) -> JsonText {
        JsonText::Text(text.to_string())
    }

    /// The JSON text, compact.
    pub(super) fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }

    fn write(&self, out: &mut String) {
        match self {
            JsonText::Null => out.push_str("null"),
            JsonText::Bool(value) => out.push_str(if *value { "true" } else { "false" }),
            JsonText::Number(literal) => out.push_str(literal),
            JsonText::Text(text) => out.push_str(&quoted(text)),
            JsonText::List(items) => {
                out.push('[');
                for (index, item) in items.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    item.write(out);
                }
                out.push(']');
            }
            JsonText::Object(members) => {
                out.push('{');
                for (index, (key, value)) in members.iter().enumerate() {
                    if index > 0 {
                        out.push(',');
                    }
                    out.push_str(&quoted(key));
                    out.push(':');
                    value.write(out);
                }
                out.push('}');
            }
        }
    }
}

/// `text` as a JSON string literal.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("a string always serializes")
}

#[cfg(test)]
mod tests {
    use super::JsonText::{self, *};

    fn check(value: JsonText, expected: &str) {
        assert_eq!(value.render(), expected, "{value:?}");
    }

    #[test]
    fn numbers_are_written_as_chosen_and_keys_may_repeat() {
        check(JsonText::number("1e400"), "1e400");
        check(
            List(vec![Null, Bool(true), JsonText::number("99999999999999999999999")]),
            "[null,true,99999999999999999999999]",
        );
        check(
            Object(vec![("a".into(), JsonText::text("x\n\"")), ("a".into(), List(vec![]))]),
            r#"{"a":"x\n\"","a":[]}"#,
        );
    }
}
