//! The generator against a small document written here and against the repository's own
//! documents: operations are listed whole, requests replay from their seed, and every body is
//! the kind it says.

use std::collections::BTreeSet;

use serde_json::Value;

use super::*;
use crate::documented_operations;

const DOCUMENT: &str = r##"
openapi: 3.0.3
paths:
  /v1/things/{id}:
    parameters:
      - $ref: "#/components/parameters/Id"
    get:
      parameters:
        - { name: verbose, in: query, schema: { type: boolean } }
        - { name: x-min, in: header, schema: { type: integer } }
    put:
      requestBody: { $ref: "#/components/requestBodies/Thing" }
  /v1/things:
    post:
      parameters:
        - { name: embed, in: query, schema: { type: array, items: { type: string, enum: [a, b] } } }
      requestBody:
        content:
          application/json:
            schema: { type: array, items: { $ref: "#/components/schemas/Thing" } }
    delete: {}
components:
  parameters:
    Id: { name: id, in: path, required: true, schema: { type: integer } }
  requestBodies:
    Thing:
      content:
        application/json:
          schema: { $ref: "#/components/schemas/Thing" }
  schemas:
    Thing:
      type: object
      required: [name]
      properties:
        name: { type: string }
        count: { type: integer }
        ratio: { type: number }
        on: { type: boolean }
        tags: { type: array, items: { type: string } }
        kind: { type: string, enum: [big, small] }
"##;

const THING_PROPERTIES: [&str; 6] = ["name", "count", "ratio", "on", "tags", "kind"];

fn operation(document: &OpenApi, name: &str) -> Operation {
    document.operations().into_iter().find(|operation| operation.to_string() == name).expect(name)
}

#[test]
fn operations_are_listed_in_order_with_their_path_items_parameters_and_resolved_bodies() {
    let document = OpenApi::parse(DOCUMENT);
    let names: Vec<String> = document.operations().iter().map(Operation::to_string).collect();
    assert_eq!(names, ["GET /v1/things/{id}", "PUT /v1/things/{id}", "POST /v1/things", "DELETE /v1/things"]);

    let get = operation(&document, "GET /v1/things/{id}");
    let described: Vec<(&str, Location, &str, bool)> =
        get.parameters.iter().map(|p| (p.name.as_str(), p.location, p.scalar.as_str(), p.required)).collect();
    assert_eq!(
        described,
        [
            ("id", Location::Path, "integer", true),
            ("verbose", Location::Query, "boolean", false),
            ("x-min", Location::Header, "integer", false)
        ]
    );
    assert!(get.body.is_none());
    let put = operation(&document, "PUT /v1/things/{id}");
    assert_eq!(put.body.as_ref().and_then(|schema| schema["$ref"].as_str()), Some("#/components/schemas/Thing"));
    let post = operation(&document, "POST /v1/things");
    assert!(post.parameters[0].repeated && post.parameters[0].allowed == ["a", "b"], "{:?}", post.parameters);
}

#[test]
fn the_repositorys_documents_give_exactly_their_documented_operations() {
    for file in ["coordinator.yaml", "coordinator-peer.yaml", "master.yaml", "agent.yaml", "marathon.yaml", "lb.yaml"] {
        let listed: BTreeSet<(String, String)> = OpenApi::load(file)
            .operations()
            .iter()
            .map(|operation| (operation.method.to_string(), operation.template.clone()))
            .collect();
        assert_eq!(listed, documented_operations(file), "{file}");
    }
}

#[test]
fn the_same_seed_gives_the_same_requests_and_another_seed_others() {
    let document = OpenApi::parse(DOCUMENT);
    let put = operation(&document, "PUT /v1/things/{id}");
    let shown = |seed| document.requests(&put, seed, 30).iter().map(ToString::to_string).collect::<Vec<_>>();
    assert_eq!(shown(7), shown(7));
    assert_ne!(shown(7), shown(8));
}

#[test]
fn path_parameters_are_filled_and_queries_are_encoded() {
    let document = OpenApi::parse(DOCUMENT);
    let get = operation(&document, "GET /v1/things/{id}");
    let mut seen_values = BTreeSet::new();
    for request in document.requests(&get, 1, 200) {
        let rest = request.target.strip_prefix("/v1/things/").unwrap_or_else(|| panic!("{request}"));
        let (value, query) = rest.split_once('?').unwrap_or((rest, ""));
        assert!(!value.contains(['{', '}', '?', '#']), "{request}");
        seen_values.insert(value.to_string());
        assert!(query.bytes().all(|byte| byte.is_ascii_graphic()), "the query is sent as it is: {request}");
        for (name, value) in &request.headers {
            assert!(value.bytes().all(|byte| byte == b' ' || byte.is_ascii_graphic()), "{name}: {request}");
        }
    }
    for hostile in ["", "9223372036854775808", "%0A", "..", "a/b"] {
        assert!(seen_values.contains(hostile), "{hostile:?} never used in {seen_values:?}");
    }
    assert!(seen_values.iter().any(|value| value.len() > 30 || value.contains('%')), "{seen_values:?}");
}

#[test]
fn every_post_and_every_body_says_it_is_json() {
    let document = OpenApi::parse(DOCUMENT);
    for operation in document.operations() {
        for request in document.requests(&operation, 3, 20) {
            let says_json = request.headers.contains(&("content-type".into(), "application/json".into()));
            let should = operation.method == Method::POST || request.body.is_some();
            assert_eq!(says_json, should, "{request}");
            assert_eq!(request.body.is_some(), operation.body.is_some(), "{request}");
        }
    }
}

/// The JSON type of `value`, as a schema names it.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(number) if number.is_i64() || number.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// Whether a property of the Thing schema has the type the schema gives it.
fn fits(property: &str, value: &Value) -> bool {
    let expected = match property {
        "name" | "kind" => "string",
        "count" => "integer",
        "ratio" => "number",
        "on" => "boolean",
        _ => "array",
    };
    let actual = type_name(value);
    // Integers past `u64` and `i64` are read as floats.
    let huge_integer = value.as_f64().is_some_and(|number| number.abs() >= 9.2e18);
    actual == expected || (expected == "number" && actual == "integer") || (expected == "integer" && huge_integer)
}

/// Checks one body of the Thing schema against what its kind promises.
fn check(kind: BodyKind, body: &[u8]) {
    let shown = String::from_utf8_lossy(&body[..body.len().min(200)]).to_string();
    let parsed = serde_json::from_slice::<Value>(body);
    match kind {
        BodyKind::Shaped => {
            let thing = parsed.unwrap_or_else(|error| panic!("{error}: {shown}"));
            let thing = thing.as_object().unwrap_or_else(|| panic!("an object: {shown}"));
            assert!(thing.contains_key("name"), "the required property is there: {shown}");
            for (key, value) in thing {
                assert!(THING_PROPERTIES.contains(&key.as_str()) && fits(key, value), "{key}: {shown}");
            }
        }
        BodyKind::WrongTypes => {
            let thing = parsed.unwrap_or_else(|error| panic!("{error}: {shown}"));
            let thing = thing.as_object().unwrap_or_else(|| panic!("an object: {shown}"));
            assert!(thing.iter().any(|(key, value)| !fits(key, value)), "some type is wrong: {shown}");
        }
        BodyKind::EmptyObject => assert_eq!(body, b"{}"),
        BodyKind::NotJson => assert!(parsed.is_err(), "not JSON: {shown}"),
        BodyKind::Oversized => assert!(body.len() >= 100_000, "{} bytes", body.len()),
        BodyKind::Deep => {
            assert!(body.starts_with(&[b'['; 100]) || body.starts_with(&b"{\"a\":".repeat(100)), "{shown}")
        }
        BodyKind::Random => {}
    }
}

#[test]
fn every_body_kind_comes_within_one_cycle_and_is_what_it_says() {
    let document = OpenApi::parse(DOCUMENT);
    let put = operation(&document, "PUT /v1/things/{id}");
    for seed in 0..20 {
        let requests = document.requests(&put, seed, BodyKind::CYCLE.len());
        let kinds: BTreeSet<String> =
            requests.iter().filter_map(|request| request.body.as_ref()).map(|(kind, _)| format!("{kind:?}")).collect();
        assert_eq!(kinds.len(), 7, "every kind in one cycle: {kinds:?}");
        for (kind, body) in requests.iter().filter_map(|request| request.body.as_ref()) {
            check(*kind, body);
        }
    }
}

#[test]
fn a_list_body_with_wrong_types_has_wrong_items() {
    let document = OpenApi::parse(DOCUMENT);
    let post = operation(&document, "POST /v1/things");
    for request in document.requests(&post, 5, 60) {
        let Some((BodyKind::WrongTypes, body)) = &request.body else { continue };
        let items: Vec<Value> = serde_json::from_slice(body).unwrap_or_else(|error| panic!("{error}: {request}"));
        assert!(!items.is_empty(), "{request}");
        for item in items {
            let thing = item.as_object().unwrap_or_else(|| panic!("{request}"));
            assert!(thing.iter().any(|(key, value)| !fits(key, value)), "{request}");
        }
    }
}

#[test]
fn references_resolve_through_chains_and_escaped_pointers() {
    let document: Yaml = serde_yaml::from_str("a: { b/c: { x: 1 } }\nd: { $ref: '#/a/b~1c' }\n").unwrap();
    for (input, expected) in [("{ $ref: '#/d' }", "x: 1"), ("{ $ref: '#/a/b~1c' }", "x: 1"), ("x: 2", "x: 2")] {
        let value: Yaml = serde_yaml::from_str(input).unwrap();
        let expected: Yaml = serde_yaml::from_str(expected).unwrap();
        assert_eq!(resolve(&document, &value), &expected, "{input}");
    }
}

#[test]
fn percent_encoding_leaves_only_unreserved_bytes() {
    for (input, expected) in [("a-b_c.d~", "a-b_c.d~"), ("a b\n<", "a%20b%0A%3C"), ("☃", "%E2%98%83"), ("%", "%25")] {
        assert_eq!(percent_encode(input), expected, "{input:?}");
    }
}
