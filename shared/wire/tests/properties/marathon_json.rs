//! Marathon's app JSON at the wire level: any JSON value (deep, unicode, huge numbers, empty
//! strings) read as an app request, a stored app or an app listing either fails or gives a value
//! that writes and reads back the same; normalization of any request never panics, and the
//! canonical app it gives reads back the same from what it writes.

use corral_wire::marathon::{AppDefinition, AppInfo, AppUpdate, Group};
use proptest::prelude::*;
use serde_json::{Map, Number, Value};

/// Keys of Marathon's app JSON at every level, so that generated objects often have the fields
/// the types read.
const KEYS: &str = "\
    id cmd args user instances cpus mem disk gpus executor env labels constraints container networks \
    portDefinitions ports requirePorts healthChecks readinessChecks upgradeStrategy backoffSeconds \
    backoffFactor maxLaunchDelaySeconds dependencies fetch uris ipAddress acceptedResourceRoles killSelection \
    taskKillGracePeriodSeconds unreachableStrategy version versionInfo type docker image network portMappings \
    volumes containerPort hostPort servicePort protocol name mode port path portIndex command value \
    minimumHealthCapacity maximumOverCapacity inactiveAfterSeconds expungeAfterSeconds uri networkName apps \
    groups tasks tasksStaged tasksRunning tasksHealthy tasksUnhealthy deployments lastScalingAt \
    lastConfigChangeAt parameters key containerPath hostPath persistent external";

/// Strings as clients send them: known words, timestamps, ids, empty, and any unicode.
fn string() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "",
            "/",
            "/a",
            "a",
            "..",
            "HTTP",
            "TCP",
            "COMMAND",
            "MESOS_HTTP",
            "DOCKER",
            "MESOS",
            "BRIDGE",
            "USER",
            "HOST",
            "NONE",
            "host",
            "container",
            "container/bridge",
            "tcp",
            "udp,tcp",
            "RO",
            "RW",
            "disabled",
            "YOUNGEST_FIRST",
            "OLDEST_FIRST",
            "UNIQUE",
            "hostname",
            "2015-09-17T09:32:36.583Z",
            "0000-01-01T00:00:00.000+01:00",
        ])
        .prop_map(str::to_string),
        ".{0,8}",
        "[a-z0-9/._-]{0,12}",
    ]
}

fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        (-5i64..70_000).prop_map(Value::from),
        (-1e6f64..1e6).prop_map(Value::from),
        any::<f64>().prop_filter_map("JSON numbers are finite", |x| Number::from_f64(x).map(Value::Number)),
        prop::sample::select(vec![0.0, -0.0, 0.5, 1e-300, 1e300, f64::MAX, f64::MIN_POSITIVE]).prop_map(Value::from),
    ]
}

/// Any JSON value, nested at most a few levels.
fn json() -> impl Strategy<Value = Value> {
    let leaf =
        prop_oneof![Just(Value::Null), any::<bool>().prop_map(Value::Bool), number(), string().prop_map(Value::String)];
    leaf.prop_recursive(5, 64, 8, |inner| {
        let key = prop_oneof![
            prop::sample::select(KEYS.split_whitespace().collect::<Vec<_>>()).prop_map(str::to_string),
            string()
        ];
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key, inner), 0..8)
                .prop_map(|fields| Value::Object(fields.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// Whether serde_json reads every float of `value` back from its text exactly. Without its
/// `float_roundtrip` feature it reads some (`0.12000000000000001`, `1e-307`) one unit in the last
/// place off; a value holding one cannot read back the same, which is serde_json's doing, not
/// these types' (see the report these tests came with).
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

/// Reads `value` as a `T`; what reads writes JSON that reads back as the same `T` (when serde_json
/// reads its floats back exactly).
fn reads_back_the_same<T>(value: &Value) -> Result<Option<T>, TestCaseError>
where
    T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug,
{
    let Ok(read) = serde_json::from_value::<T>(value.clone()) else { return Ok(None) };
    if !floats_read_back(&serde_json::to_value(&read).unwrap()) {
        return Ok(Some(read));
    }
    let written = serde_json::to_string(&read).expect("a value that was read can be written");
    let reread: T =
        serde_json::from_str(&written).map_err(|error| TestCaseError::fail(format!("{error}: {written}")))?;
    prop_assert_eq!(&reread, &read, "written as {}", written);
    Ok(Some(read))
}

proptest! {
    #![proptest_config(crate::cases(1024))]

    #[test]
    fn any_json_read_as_an_app_request_normalizes_into_an_app_that_reads_back_the_same(value in json()) {
        if let Some(update) = reads_back_the_same::<AppUpdate>(&value)? {
            let _ = update.sent_keys();
            let _ = update.is_rollback();
            for base in [AppDefinition::new(""), AppDefinition::new("/base")] {
                let app = update.apply_to(&base);
                let app_json = serde_json::to_value(&app).unwrap();
                reads_back_the_same::<AppDefinition>(&app_json)?.expect("a normalized app reads back");
            }
        }
    }

    #[test]
    fn any_json_read_as_a_stored_app_or_listing_reads_back_the_same(value in json()) {
        reads_back_the_same::<AppDefinition>(&value)?;
        reads_back_the_same::<AppInfo>(&value)?;
        reads_back_the_same::<Group>(&value)?;
    }

    #[test]
    fn any_bytes_read_as_an_app_request_fail_or_read_back_the_same(
        bytes in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        if let Ok(value) = serde_json::from_slice::<Value>(&bytes) {
            reads_back_the_same::<AppUpdate>(&value)?;
        }
        let _ = serde_json::from_slice::<AppUpdate>(&bytes);
    }
}
