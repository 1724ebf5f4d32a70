//! Request-level fuzzing driven by an OpenAPI 3 document. [`OpenApi::operations`] lists the
//! operations a service documents; [`OpenApi::requests`] makes, from a seed, requests a careful
//! client never sends: hostile path parameters (empty, 300 characters long, percent-encoded
//! newlines and `<`, broken escapes, `..`, `a/b`, unicode, numbers past `i64` and `-1`), the
//! documented query and header parameters with values of the wrong type, unknown and repeated
//! parameters, and JSON bodies of every [`BodyKind`].
//!
//! Nothing here does IO or judges an answer: the test that sends the requests does. The same
//! document, operation, seed and count always give the same requests, whatever other operations
//! the document has.

mod json_text;
#[cfg(test)]
mod tests;
mod values;

use std::fmt;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::Method;
use serde_yaml::Value as Yaml;

pub use values::BodyKind;
use values::{hostile_text, pick, wrong_query_value, Bodies, HEADER_TEXT, NOT_INTEGER_HEADERS, PATH_VALUES};

const METHODS: [Method; 5] = [Method::GET, Method::POST, Method::PUT, Method::DELETE, Method::PATCH];

/// Names of parameters no operation documents.
const UNKNOWN_PARAMETERS: &[&str] = &["zzz", "", "a[b]", "☃", "%", "x\ny", "__proto__", "callback"];

/// Query-string text appended as it is, not encoded.
const RAW_QUERY_TAILS: &[&str] = &["&&", "&=", "&=x", "&%zz=1", "&a=%FF", "&a=%", "&;"];

/// An OpenAPI 3 document.
pub struct OpenApi {
    document: Yaml,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Location {
    Path,
    Query,
    Header,
}

/// A documented parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parameter {
    pub name: String,
    pub location: Location,
    pub required: bool,
    /// `string`, `integer`, `number` or `boolean`; for an array, its items' type.
    pub scalar: String,
    /// An array: the parameter may be repeated.
    pub repeated: bool,
    /// The allowed values, when the schema lists them.
    pub allowed: Vec<String>,
}

/// One method on one path template.
#[derive(Debug, Clone)]
pub struct Operation {
    pub method: Method,
    /// `/v2/apps/{app_id}`.
    pub template: String,
    pub parameters: Vec<Parameter>,
    /// The schema of the `application/json` request body, if the operation takes one.
    pub body: Option<Yaml>,
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.template)
    }
}

/// A request ready to send to any base URL.
#[derive(Debug, Clone)]
pub struct FuzzRequest {
    /// What it was made for, `POST /v2/apps/{app_id}`.
    pub operation: String,
    pub method: Method,
    /// The path and query as sent, `/v2/apps/%0A?force=maybe`.
    pub target: String,
    /// `Content-Type: application/json` for every POST and every body, and header parameters.
    pub headers: Vec<(String, String)>,
    pub body: Option<(BodyKind, Vec<u8>)>,
}

impl fmt::Display for FuzzRequest {
    /// The method, target, headers and (the start of) the body, as a failure report shows them.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.target)?;
        for (name, value) in &self.headers {
            write!(f, "\n    {name}: {value:?}")?;
        }
        if let Some((kind, body)) = &self.body {
            let text = String::from_utf8_lossy(&body[..body.len().min(300)]);
            let more = if body.len() > 300 { "…" } else { "" };
            write!(f, "\n    body ({kind:?}, {} bytes): {text:?}{more}", body.len())?;
        }
        Ok(())
    }
}

impl OpenApi {
    pub fn parse(text: &str) -> OpenApi {
        OpenApi { document: serde_yaml::from_str(text).expect("the OpenAPI document is valid YAML") }
    }

    /// `openapi/<spec_file>` at the repository root.
    pub fn load(spec_file: &str) -> OpenApi {
        let path = format!("{}/../../openapi/{spec_file}", env!("CARGO_MANIFEST_DIR"));
        OpenApi::parse(&std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}")))
    }

    /// Every operation, in the document's order, with its path item's parameters and its own.
    pub fn operations(&self) -> Vec<Operation> {
        let mut operations = Vec::new();
        for (template, item) in self.document["paths"].as_mapping().into_iter().flatten() {
            let (Some(template), Some(item)) = (template.as_str(), item.as_mapping()) else { continue };
            let shared = &item.get("parameters").cloned().unwrap_or(Yaml::Null);
            for (key, operation) in item {
                let key = key.as_str().unwrap_or_default();
                let Some(method) = METHODS.iter().find(|method| method.as_str().eq_ignore_ascii_case(key)) else {
                    continue;
                };
                let mut parameters: Vec<Parameter> = Vec::new();
                let declared = [shared, &operation["parameters"]].into_iter().filter_map(Yaml::as_sequence).flatten();
                for parameter in declared {
                    let parameter = self.parameter(parameter);
                    parameters.retain(|p| (&p.name, p.location) != (&parameter.name, parameter.location));
                    parameters.push(parameter);
                }
                let body = resolve(&self.document, &operation["requestBody"]);
                let schema = &body["content"]["application/json"]["schema"];
                operations.push(Operation {
                    method: method.clone(),
                    template: template.to_string(),
                    parameters,
                    body: (!schema.is_null()).then(|| schema.clone()),
                });
            }
        }
        operations
    }

    fn parameter(&self, parameter: &Yaml) -> Parameter {
        let parameter = resolve(&self.document, parameter);
        let schema = resolve(&self.document, &parameter["schema"]);
        let repeated = schema["type"].as_str() == Some("array");
        let scalar_schema = if repeated { resolve(&self.document, &schema["items"]) } else { schema };
        let location = match parameter["in"].as_str() {
            Some("path") => Location::Path,
            Some("header") => Location::Header,
            _ => Location::Query,
        };
        Parameter {
            name: parameter["name"].as_str().unwrap_or_default().to_string(),
            location,
            required: parameter["required"].as_bool().unwrap_or(location == Location::Path),
            scalar: scalar_schema["type"].as_str().unwrap_or("string").to_string(),
            repeated,
            allowed: scalar_schema["enum"]
                .as_sequence()
                .into_iter()
                .flatten()
                .filter_map(|value| value.as_str().map(str::to_string))
                .collect(),
        }
    }

    /// `count` requests for `operation`, made from `seed` (and the operation's name, so each
    /// operation gets its own sequence).
    pub fn requests(&self, operation: &Operation, seed: u64, count: usize) -> Vec<FuzzRequest> {
        let mut rng = StdRng::seed_from_u64(seed ^ fnv1a(operation.to_string().as_bytes()));
        (0..count).map(|index| self.request(operation, index, &mut rng)).collect()
    }

    fn request(&self, operation: &Operation, index: usize, rng: &mut StdRng) -> FuzzRequest {
        let mut target = operation.template.clone();
        for parameter in operation.parameters.iter().filter(|p| p.location == Location::Path) {
            target = target.replace(&format!("{{{}}}", parameter.name), pick(rng, PATH_VALUES));
        }
        let query = query(&operation.parameters, rng);
        if !query.is_empty() {
            target = format!("{target}?{query}");
        }
        let mut headers = Vec::new();
        for parameter in operation.parameters.iter().filter(|p| p.location == Location::Header) {
            if rng.gen_bool(0.5) {
                let values = if parameter.scalar == "string" { HEADER_TEXT } else { NOT_INTEGER_HEADERS };
                headers.push((parameter.name.to_lowercase(), pick(rng, values).to_string()));
            }
        }
        let body = operation.body.as_ref().map(|schema| {
            let kind = BodyKind::CYCLE[index % BodyKind::CYCLE.len()];
            (kind, Bodies { document: &self.document, rng }.make(schema, kind))
        });
        if operation.method == Method::POST || body.is_some() {
            headers.push(("content-type".into(), "application/json".into()));
        }
        FuzzRequest { operation: operation.to_string(), method: operation.method.clone(), target, headers, body }
    }
}

/// A query string: documented parameters (required ones nearly always) with values of the wrong
/// type, valid values or hostile text, some repeated, unknown parameters, and now and then a
/// malformed tail.
fn query(parameters: &[Parameter], rng: &mut StdRng) -> String {
    let mut pairs: Vec<(String, String)> = Vec::new();
    for parameter in parameters.iter().filter(|p| p.location == Location::Query) {
        let wanted = if parameter.required { 0.9 } else { 0.6 };
        if !rng.gen_bool(wanted) {
            continue;
        }
        let times = if parameter.repeated || rng.gen_bool(0.15) { rng.gen_range(1..=3) } else { 1 };
        for _ in 0..times {
            let value = match rng.gen_range(0..10) {
                0..=3 => wrong_query_value(rng, &parameter.scalar),
                4..=6 => valid_query_value(parameter, rng),
                _ => hostile_text(rng),
            };
            pairs.push((parameter.name.clone(), value));
        }
    }
    for _ in 0..rng.gen_range(0..=2) {
        pairs.push((pick(rng, UNKNOWN_PARAMETERS).to_string(), hostile_text(rng)));
    }
    let mut query: Vec<String> =
        pairs.iter().map(|(name, value)| format!("{}={}", percent_encode(name), percent_encode(value))).collect();
    if rng.gen_bool(0.1) {
        query.push(pick(rng, RAW_QUERY_TAILS).trim_start_matches('&').to_string());
    }
    query.join("&")
}

/// A value a careful client might send: an allowed one, a boolean, a small number or a plain id.
fn valid_query_value(parameter: &Parameter, rng: &mut StdRng) -> String {
    if !parameter.allowed.is_empty() {
        return parameter.allowed[rng.gen_range(0..parameter.allowed.len())].clone();
    }
    match parameter.scalar.as_str() {
        "boolean" => pick(rng, &["true", "false"]).to_string(),
        "integer" | "number" => pick(rng, &["0", "1", "42"]).to_string(),
        _ => pick(rng, &["web", "/web", "prod/web", "a"]).to_string(),
    }
}

/// `text` with every byte but RFC 3986's unreserved ones percent-encoded.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

/// The schema (or parameter, or request body) `value` names through `$ref`s in this document.
fn resolve<'a>(document: &'a Yaml, mut value: &'a Yaml) -> &'a Yaml {
    for _ in 0..16 {
        let Some(reference) = value["$ref"].as_str() else { return value };
        let Some(pointer) = reference.strip_prefix("#/") else {
            panic!("only local references are supported: {reference}")
        };
        value =
            pointer.split('/').fold(document, |node, key| &node[key.replace("~1", "/").replace("~0", "~").as_str()]);
    }
    panic!("a $ref chain longer than 16");
}

/// FNV-1a: a hash that stays the same across Rust versions, unlike `DefaultHasher`'s.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(*byte)).wrapping_mul(0x0100_0000_01b3))
}
