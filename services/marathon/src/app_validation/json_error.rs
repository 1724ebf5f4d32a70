//! Marathon's 400 answer for a body that could not be read:
//! - not JSON at all: `{"message": "Invalid JSON", "details": "<where the parser stopped>"}`;
//! - JSON of the wrong shape (a string for `instances`, an unknown `protocol`, a missing `id`):
//!   `{"message": "Invalid JSON", "details": [{"path": "/instances", "errors": ["invalid type: ..."]}]}`.
//!
//! serde_json reports where it stopped (line and column), not which field it was reading, so the path
//! is recovered by walking the body up to that point and noting the open objects' current keys and
//! the open arrays' element indexes. This works for errors from `serde_json::from_slice` and
//! `from_str`; an error without a position (from `from_value`) gets the path `/`.

use serde_json::error::Category;

use super::marathon::{ErrorBody, ErrorDetail};

/// The 400 body for `error`, which serde_json gave while reading `body` into some type.
pub fn invalid_json_body(body: &[u8], error: &serde_json::Error) -> ErrorBody {
    let message = error.to_string();
    if error.classify() != Category::Data {
        return ErrorBody::unparsable_json(&message);
    }
    let reason = message.rsplit_once(" at line ").map_or(message.as_str(), |(reason, _)| reason);
    let mut path = if error.line() == 0 { String::new() } else { json_path_at(body, byte_offset(body, error)) };
    if let Some(missing) = reason.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
        path = format!("{path}/{missing}");
    }
    let path = if path.is_empty() { "/".to_string() } else { path };
    ErrorBody::invalid_json(vec![ErrorDetail::new(&path, reason)])
}

/// The offset of the byte after the one serde_json stopped at (it counts lines from 1 and, within a
/// line, the bytes it consumed).
fn byte_offset(body: &[u8], error: &serde_json::Error) -> usize {
    let line_start: usize = body.split(|b| *b == b'\n').take(error.line() - 1).map(|line| line.len() + 1).sum();
    (line_start + error.column()).min(body.len())
}

/// Where we are in the document: an object (with the key being read, once its name is known) or an
/// array (with the index of the element being read).
enum Frame {
    Object { key: Option<String>, reading_key: bool },
    Array { index: usize },
}

/// Marathon's path (`/healthChecks(0)/protocol`) of the value being read at `offset`.
fn json_path_at(body: &[u8], offset: usize) -> String {
    let mut frames: Vec<Frame> = Vec::new();
    let mut string: Option<Vec<u8>> = None;
    let mut escaped = false;
    for &byte in &body[..offset] {
        if let Some(text) = &mut string {
            match byte {
                _ if escaped => {
                    escaped = false;
                    text.push(byte);
                }
                b'\\' => escaped = true,
                b'"' => {
                    let finished = String::from_utf8_lossy(text).into_owned();
                    string = None;
                    if let Some(Frame::Object { key, reading_key: reading @ true }) = frames.last_mut() {
                        *key = Some(finished);
                        *reading = false;
                    }
                }
                _ => text.push(byte),
            }
            continue;
        }
        match byte {
            b'"' => string = Some(Vec::new()),
            b'{' => frames.push(Frame::Object { key: None, reading_key: true }),
            b'[' => frames.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                frames.pop();
            }
            b',' => match frames.last_mut() {
                Some(Frame::Object { key, reading_key }) => {
                    *key = None;
                    *reading_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            _ => {}
        }
    }
    frames
        .iter()
        .map(|frame| match frame {
            Frame::Object { key: Some(key), .. } => format!("/{key}"),
            Frame::Object { key: None, .. } => String::new(),
            Frame::Array { index } => format!("({index})"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::super::marathon::{AppUpdate, ErrorBody};
    use super::invalid_json_body;

    /// Reading `body` as an app fails with the 400 body `expected`.
    fn check(body: &str, expected: serde_json::Value) {
        let error = serde_json::from_str::<AppUpdate>(body).expect_err("the body is refused");
        let answer: ErrorBody = invalid_json_body(body.as_bytes(), &error);
        assert_eq!(serde_json::to_value(answer).unwrap(), expected, "for {body}");
    }

    fn fields(path: &str, error: &str) -> serde_json::Value {
        json!({"message": "Invalid JSON", "details": [{"path": path, "errors": [error]}]})
    }

    #[test]
    fn wrong_shapes_are_reported_at_their_path() {
        check(
            r#"{"id": "/a", "instances": "three"}"#,
            fields("/instances", "invalid type: string \"three\", expected i32"),
        );
        check(
            "{\n  \"id\": \"/a\",\n  \"healthChecks\": [\n    {\"path\": \"/\"},\n    {\"protocol\": \"GOPHER\"}\n  ]\n}",
            fields(
                "/healthChecks(1)/protocol",
                "unknown variant `GOPHER`, expected one of `HTTP`, `HTTPS`, `TCP`, `COMMAND`, `MESOS_HTTP`, \
                 `MESOS_HTTPS`, `MESOS_TCP`",
            ),
        );
        check(r#"{"id": "/a", "cmd": {"value": "x"}}"#, fields("/cmd", "invalid type: map, expected a string"));
        check(r#"{"labels": {"a": 1}}"#, fields("/labels/a", "invalid type: integer `1`, expected a string"));
        check(
            r#"{"id": "/a", "fetch": [{"uri": "x"}, {"cache": true}]}"#,
            fields("/fetch(1)/uri", "missing field `uri`"),
        );
        check(
            r#"{"constraints": [["a", "UNIQUE"], "b"]}"#,
            fields("/constraints(1)", "invalid type: string \"b\", expected a sequence"),
        );
        check(r#"{"id": "a\"b", "cpus": true}"#, fields("/cpus", "invalid type: boolean `true`, expected f64"));
        check(r#""three""#, fields("/", "invalid type: string \"three\", expected struct AppUpdate"));
    }

    #[test]
    fn text_that_is_not_json_is_reported_as_text() {
        check(r#"{"id": "/a",}"#, json!({"message": "Invalid JSON", "details": "trailing comma at line 1 column 13"}));
        check(
            r#"{"id": "/a""#,
            json!({"message": "Invalid JSON", "details": "EOF while parsing an object at line 1 column 11"}),
        );
    }
}
