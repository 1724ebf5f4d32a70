//! Marathon's own JSON (re-typed from its documentation and from real answers) read into our types,
//! and our JSON compared with what Marathon writes: same keys, same values, and reading what we
//! write gives back the same value.

use std::collections::BTreeSet;

use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{json, Value};

use super::*;

/// Reads `marathon_json` as a `T`, checks that writing it gives `expected_json` (numbers compared
/// by value, so `1` equals `1.0`), and that reading our output gives the same `T` again.
fn check<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(marathon_json: Value, expected_json: Value) {
    let read: T = serde_json::from_value(marathon_json).expect("Marathon's JSON reads");
    let written = serde_json::to_value(&read).unwrap();
    assert_same_json(&written, &expected_json, "");
    let reread: T = serde_json::from_value(written).unwrap();
    assert_eq!(reread, read, "reading what we write gives the same value");
}

fn assert_same_json(actual: &Value, expected: &Value, path: &str) {
    match (actual, expected) {
        (Value::Number(a), Value::Number(b)) => assert_eq!(a.as_f64(), b.as_f64(), "at {path}"),
        (Value::Object(a), Value::Object(b)) => {
            let keys_a: BTreeSet<&String> = a.keys().collect();
            let keys_b: BTreeSet<&String> = b.keys().collect();
            assert_eq!(keys_a, keys_b, "keys at {path}");
            for (key, value) in a {
                assert_same_json(value, &b[key], &format!("{path}/{key}"));
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            assert_eq!(a.len(), b.len(), "length at {path}");
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                assert_same_json(x, y, &format!("{path}({i})"));
            }
        }
        _ => assert_eq!(actual, expected, "at {path}"),
    }
}

/// A new app: `request` applied to the defaults, written.
fn new_app(request: Value) -> Value {
    let update: AppUpdate = serde_json::from_value(request).unwrap();
    serde_json::to_value(update.apply_to(&AppDefinition::new(""))).unwrap()
}

#[test]
fn a_minimal_app_gets_marathons_defaults_and_keys() {
    let expected = json!({
        "id": "/sleepy", "cmd": "sleep 1000", "instances": 1, "cpus": 1, "mem": 128, "disk": 0, "gpus": 0,
        "executor": "", "labels": {}, "networks": [{"mode": "host"}],
        "portDefinitions": [{"port": 0, "protocol": "tcp", "name": "default"}], "requirePorts": false,
        "upgradeStrategy": {"minimumHealthCapacity": 1, "maximumOverCapacity": 1},
        "backoffSeconds": 1, "backoffFactor": 1.15, "maxLaunchDelaySeconds": 300, "killSelection": "YOUNGEST_FIRST",
        "unreachableStrategy": {"inactiveAfterSeconds": 0, "expungeAfterSeconds": 0}
    });
    assert_same_json(&new_app(json!({"id": "/sleepy", "cmd": "sleep 1000"})), &expected, "");
    check::<AppDefinition>(expected.clone(), expected);
}

#[test]
fn health_checks_get_their_defaults_per_protocol() {
    let app = new_app(json!({"id": "/web", "cmd": "serve", "healthChecks": [
        {"path": "/health"},
        {"protocol": "MESOS_TCP"},
        {"protocol": "COMMAND", "command": {"value": "true"}}
    ]}));
    let defaults = json!({"gracePeriodSeconds": 300, "intervalSeconds": 60, "timeoutSeconds": 20,
                          "maxConsecutiveFailures": 3, "delaySeconds": 15});
    let with = |extra: Value| {
        let mut check = defaults.clone();
        check.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        check
    };
    let expected = json!([
        with(json!({"protocol": "HTTP", "path": "/health", "portIndex": 0, "ignoreHttp1xx": false})),
        with(json!({"protocol": "MESOS_TCP", "portIndex": 0, "ipProtocol": "IPv4"})),
        with(json!({"protocol": "COMMAND", "command": {"value": "true"}})),
    ]);
    assert_same_json(&app["healthChecks"], &expected, "/healthChecks");
}

#[test]
fn legacy_fields_move_to_their_canonical_places() {
    // Marathon's documented app example (docs/rest-api/.../examples/app.json), trimmed.
    let app = new_app(json!({
        "id": "/foo", "cmd": "sleep 1000", "instances": 2, "cpus": 0.1, "mem": 16,
        "container": {"type": "DOCKER", "docker": {
            "image": "mesosphere:marathon/latest", "network": "BRIDGE", "forcePullImage": false, "privileged": false,
            "parameters": [{"key": "name", "value": "kdc"}],
            "portMappings": [{"containerPort": 80, "hostPort": 0, "protocol": "tcp", "servicePort": 10019,
                              "name": "http", "labels": {"vip": "192.168.0.1:80"}}]
        }, "volumes": [{"containerPath": "/docker_storage", "hostPath": "/hdd/tools/docker/registry", "mode": "RW"}]},
        "uris": ["https://foo.com/setup.py"],
        "ports": [0]
    }));
    assert_same_json(&app["networks"], &json!([{"mode": "container/bridge"}]), "/networks");
    assert_eq!(app.get("portDefinitions"), None, "bridge networking has no port definitions");
    assert_eq!(app.get("ports"), None);
    assert_eq!(app.get("uris"), None);
    assert_same_json(
        &app["container"],
        &json!({"type": "DOCKER", "docker": {"image": "mesosphere:marathon/latest", "forcePullImage": false,
                "privileged": false, "parameters": [{"key": "name", "value": "kdc"}]},
                "volumes": [{"containerPath": "/docker_storage", "hostPath": "/hdd/tools/docker/registry", "mode": "RW"}],
                "portMappings": [{"containerPort": 80, "hostPort": 0, "servicePort": 10019, "protocol": "tcp",
                                  "name": "http", "labels": {"vip": "192.168.0.1:80"}}]}),
        "/container",
    );
    assert_same_json(
        &app["fetch"],
        &json!([{"uri": "https://foo.com/setup.py", "extract": true, "executable": false, "cache": false}]),
        "/fetch",
    );

    let host = new_app(json!({"id": "/h", "cmd": "x", "ports": [8080, 0]}));
    assert_same_json(
        &host["portDefinitions"],
        &json!([{"port": 8080, "protocol": "tcp"}, {"port": 0, "protocol": "tcp"}]),
        "/portDefinitions",
    );
}

#[test]
fn bridge_networking_gets_a_default_port_mapping() {
    let app = new_app(json!({"id": "/b", "networks": [{"mode": "container/bridge"}],
                             "container": {"docker": {"image": "nginx"}}}));
    assert_same_json(
        &app["container"]["portMappings"],
        &json!([{"containerPort": 0, "hostPort": 0, "servicePort": 0, "protocol": "tcp", "name": "default", "labels": {}}]),
        "/container/portMappings",
    );
}

#[test]
fn normalized_apps_round_trip_and_normalize_to_themselves() {
    let requests = [
        json!({"id": "/a", "cmd": "x"}),
        json!({"id": "/b", "args": ["x"], "user": "nobody", "env": {"A": "1"}, "labels": {"HAPROXY_GROUP": "external"},
               "constraints": [["hostname", "UNIQUE"]], "dependencies": ["/a"], "acceptedResourceRoles": ["*"],
               "fetch": [{"uri": "http://x/y.tgz", "destPath": "y"}], "taskKillGracePeriodSeconds": 5,
               "killSelection": "OLDEST_FIRST", "unreachableStrategy": "disabled", "requirePorts": true,
               "portDefinitions": [{"port": 8080, "name": "http", "protocol": "udp", "labels": {"VIP_0": "/b:80"}}],
               "healthChecks": [{"protocol": "TCP"}, {"protocol": "MESOS_HTTPS", "path": "/h"}],
               "readinessChecks": [{"portName": "http"}]}),
        json!({"id": "/c", "networks": [{"mode": "container", "name": "dcos", "labels": {"k": "v"}}],
               "container": {"type": "MESOS", "docker": {"image": "nginx", "forcePullImage": true},
                             "volumes": [{"containerPath": "data", "persistent": {"size": 10}}],
                             "portMappings": [{"containerPort": 80, "name": "web"}]}}),
        json!({"id": "/d", "cmd": "x", "container": {"docker": {"image": "nginx", "network": "BRIDGE",
               "parameters": [{"key": "label", "value": "a=b"}]}}}),
    ];
    for request in requests {
        let written = new_app(request.clone());
        let read: AppDefinition = serde_json::from_value(written.clone()).unwrap();
        assert_same_json(&serde_json::to_value(&read).unwrap(), &written, "");
        let sent_back: AppUpdate = serde_json::from_value(written).unwrap();
        assert_eq!(sent_back.apply_to(&AppDefinition::new("")), read, "normalizing {request} twice changes nothing");
    }
}

#[test]
fn a_partial_update_changes_only_what_was_sent() {
    let current: AppDefinition =
        serde_json::from_value(new_app(json!({"id": "/web", "cmd": "serve", "instances": 2, "labels": {"a": "b"}})))
            .unwrap();
    let apply = |request: Value| serde_json::from_value::<AppUpdate>(request).unwrap().apply_to(&current);

    let scaled = apply(json!({"instances": 5}));
    assert_eq!(scaled.instances, 5);
    assert_eq!(scaled.labels, current.labels);
    assert!(current.is_only_scale_change(&scaled));

    let restarted = apply(json!({"cmd": "serve --fast"}));
    assert!(current.is_upgrade(&restarted) && !current.is_only_scale_change(&restarted));

    let with_args = apply(json!({"args": ["serve", "--fast"]}));
    assert_eq!((with_args.cmd, with_args.args), (None, vec!["serve".to_string(), "--fast".to_string()]));

    assert!(!current.is_upgrade(&apply(json!({"id": "/web"}))));
    let rollback: AppUpdate =
        serde_json::from_value(json!({"id": "/web", "version": "2015-09-25T15:13:48.343Z"})).unwrap();
    assert!(rollback.is_rollback());
    assert_eq!(
        serde_json::from_value::<AppUpdate>(json!({"instances": 1, "cpus": null})).unwrap().sent_keys(),
        ["instances"]
    );
}

#[test]
fn an_app_as_marathon_answers_it_round_trips() {
    // `GET /v2/apps/spark` from a DC/OS cluster (Marathon 1.7), re-typed and trimmed.
    let spark: Value = serde_json::from_str(
        r#"{
        "id": "/spark", "cmd": "/sbin/init.sh", "user": "nobody", "instances": 1, "cpus": 1, "mem": 1024, "disk": 0,
        "gpus": 0, "executor": "", "env": {"SPARK_USER": "nobody"}, "labels": {"DCOS_PACKAGE_NAME": "spark"},
        "container": {"type": "DOCKER", "volumes": [], "docker": {"image": "mesosphere/spark:2.7.0",
            "forcePullImage": true, "privileged": false, "parameters": [{"key": "user", "value": "nobody"}]}},
        "networks": [{"mode": "host"}],
        "portDefinitions": [{"port": 10000, "protocol": "tcp", "name": "dispatcher", "labels": {"VIP_0": "dispatcher.spark:7077"}}],
        "requirePorts": false,
        "healthChecks": [{"delaySeconds": 15, "gracePeriodSeconds": 5, "intervalSeconds": 60, "ipProtocol": "IPv4",
            "maxConsecutiveFailures": 3, "path": "/", "portIndex": 2, "protocol": "MESOS_HTTP", "timeoutSeconds": 10}],
        "upgradeStrategy": {"maximumOverCapacity": 0, "minimumHealthCapacity": 0},
        "backoffSeconds": 1, "backoffFactor": 1.15, "maxLaunchDelaySeconds": 3600, "killSelection": "YOUNGEST_FIRST",
        "unreachableStrategy": {"expungeAfterSeconds": 0, "inactiveAfterSeconds": 0},
        "version": "2019-03-18T19:19:29.410Z",
        "versionInfo": {"lastConfigChangeAt": "2019-03-18T19:19:29.410Z", "lastScalingAt": "2019-03-18T19:19:29.410Z"},
        "tasksStaged": 0, "tasksRunning": 1, "tasksHealthy": 1, "tasksUnhealthy": 0, "deployments": [],
        "tasks": [{
            "id": "spark.c0efd47d-49b2-11e9-b8cd-1aeaf266c008", "appId": "/spark", "host": "10.0.2.221",
            "ports": [21515, 21516, 21517], "servicePorts": [], "slaveId": "02b1bdc8-S1", "state": "TASK_RUNNING",
            "stagedAt": "2019-03-18T19:19:30.217Z", "startedAt": "2019-03-18T19:20:37.127Z",
            "version": "2019-03-18T19:19:29.410Z", "ipAddresses": [{"ipAddress": "10.0.2.221", "protocol": "IPv4"}],
            "localVolumes": [], "region": "aws/us-west-2", "zone": "aws/us-west-2a",
            "healthCheckResults": [{"alive": true, "consecutiveFailures": 0, "firstSuccess": "2019-03-18T19:20:52.376Z",
                "lastSuccess": "2019-03-18T19:20:52.376Z", "instanceId": "spark.marathon-c0efd47d"}]
        }]
    }"#,
    )
    .unwrap();
    check::<AppInfo>(spark.clone(), spark);
}

#[test]
fn tasks_as_marathon_lists_them_round_trip() {
    // docs/rest-api/.../examples/app_tasks.json, without the fields Corral does not keep (role, cpus, mem).
    let tasks = json!({"tasks": [{
        "appId": "/minecraft/survival-world", "host": "srv7.hw.ca1.mesosphere.com",
        "id": "minecraft_survival-world.instance-564bd685-4c30-11e5-98c1-be5b2935a987", "ports": [31756],
        "servicePorts": [], "slaveId": "agent0", "stagedAt": "2015-08-26T20:23:39.463Z",
        "startedAt": "2015-08-26T20:23:44.678Z", "version": "2015-04-17T04:00:14.171Z", "state": "TASK_STAGING",
        "ipAddresses": [], "localVolumes": [], "region": "primary", "zone": "a"
    }]});
    check::<TaskList>(tasks.clone(), tasks);
}

#[test]
fn deployments_as_marathon_lists_them_round_trip() {
    // docs/rest-api/.../examples/deployments.json.
    let deployments = json!([{
        "id": "97c136bf-5a28-4821-9d94-480d9fbb01c8", "version": "2015-09-30T09:09:17.614Z",
        "affectedApps": ["/foo"], "affectedPods": ["/bla"],
        "steps": [{"actions": [{"action": "ScaleApplication", "app": "/foo"}]},
                  {"actions": [{"action": "ScalePod", "pod": "/bla"}]}],
        "currentActions": [{"action": "ScaleApplication", "app": "/foo", "readinessCheckResults": [{
            "taskId": "foo.c9de6033", "name": "myReadyCheck", "ready": false,
            "lastResponse": {"body": "{}", "contentType": "application/json", "status": 500}}]}],
        "currentStep": 1, "totalSteps": 1
    }]);
    check::<Vec<Deployment>>(deployments.clone(), deployments);
    let result = json!({"deploymentId": "5ed4c0c5-9ff8-4a6f-a0cd-f57f59a34b43", "version": "2015-09-29T15:59:51.164Z"});
    check::<DeploymentResult>(result.clone(), result);
}

#[test]
fn info_and_queue_round_trip() {
    // docs/rest-api/.../examples/info.json, with the keys Marathon 1.5 and later write.
    let info = json!({
        "name": "marathon", "version": "1.8.222", "buildref": "86475ddac", "elected": true,
        "leader": "wrk.fritz.box:8080", "frameworkId": "80ba2050-bf0f-4472-a2f7-2636c4f7b8c8-0000",
        "marathon_config": {"master": "127.0.0.1:5050", "failover_timeout": 604800, "framework_name": "marathon",
            "ha": true, "checkpoint": true, "local_port_min": 10000, "local_port_max": 20000, "executor": "//cmd",
            "hostname": "wrk.fritz.box", "task_launch_timeout": 300000, "reconciliation_initial_delay": 15000,
            "reconciliation_interval": 300000, "mesos_user": "matthias", "leader_proxy_connection_timeout_ms": 5000,
            "leader_proxy_read_timeout_ms": 10000, "features": []},
        "zookeeper_config": {"zk": "zk://localhost:2181/marathon", "zk_timeout": 10000, "zk_connection_timeout": 10000,
            "zk_session_timeout": 1800000, "zk_max_versions": 25},
        "http_config": {"http_port": 8080, "https_port": 8443}
    });
    check::<Info>(info.clone(), info);

    let mut app = new_app(json!({"id": "/tools/datadog-agent", "instances": 5,
                                 "container": {"docker": {"image": "datadog/docker-dd-agent:latest", "privileged": true}}}));
    app["version"] = json!("2015-08-26T22:33:24.225Z");
    let queue = json!({"queue": [{"app": app, "count": 1, "delay": {"timeLeftSeconds": 0, "overdue": true},
                                  "since": "2016-02-28T16:41:41.090Z"}]});
    check::<Queue>(queue.clone(), queue);
}

#[test]
fn events_as_marathon_streams_them_round_trip() {
    // docs/rest-api/.../examples/events.txt and docs/event-bus.md.
    let events = [
        json!({"remoteAddress": "0:0:0:0:0:0:0:1", "eventType": "event_stream_attached",
               "timestamp": "2015-09-30T12:44:30.061Z"}),
        json!({"slaveId": "20150707-153709-218108076-5050-25588-S6", "taskId": "foo.0664256e-6771-11e5-94e1-be5b2935a987",
               "taskStatus": "TASK_FAILED", "message": "Failed to launch container", "appId": "/foo",
               "host": "srv5.hw.ca1.mesosphere.com", "ipAddresses": [], "ports": [31776],
               "version": "2015-09-30T09:09:17.614Z", "eventType": "status_update_event",
               "timestamp": "2015-09-30T12:44:45.681Z"}),
        json!({"eventType": "health_status_changed_event", "timestamp": "2014-03-01T23:29:30.158Z", "appId": "/my-app",
               "instanceId": "my-app.instance-c7c311a4-b669-11e6-a48f-0ea4f4b1778c",
               "version": "2014-04-04T06:26:23.051Z", "alive": true}),
        json!({"instanceId": "pod-multi.instance-a5f2bd75", "condition": "Failed", "runSpecId": "/pod-multi",
               "agentId": "2275bb07-S4", "host": "192.168.65.111", "runSpecVersion": "2018-10-08T03:31:31.171Z",
               "timestamp": "2018-10-08T03:31:31.438Z", "eventType": "instance_changed_event"}),
        json!({"appId": "/my-app", "taskId": "my-app_0-1396592784349", "instanceId": "my-app.instance-1",
               "version": "2016-03-16T13:05:00.590Z", "reason": "500 Internal Server Error", "host": "localhost",
               "slaveId": "4fb620fa-S0", "eventType": "unhealthy_instance_kill_event",
               "timestamp": "2016-03-21T09:15:10.764Z"}),
        json!({"eventType": "group_change_success", "timestamp": "2014-03-01T23:29:30.158Z",
               "groupId": "/product-a/backend", "version": "2014-04-04T06:26:23.051Z"}),
        json!({"eventType": "app_terminated_event", "timestamp": "2014-03-01T23:29:30.158Z", "appId": "/my-app"}),
        json!({"eventType": "deployment_success", "timestamp": "2014-03-01T23:29:30.158Z",
               "id": "867ed450-f6a8-4d33-9b0e-e11c5513990b", "plan": {
                   "id": "867ed450-f6a8-4d33-9b0e-e11c5513990b", "version": "2014-03-01T23:24:14.846Z",
                   "original": {"id": "/", "apps": [], "groups": [], "pods": [], "dependencies": [],
                                "version": "2014-09-09T06:30:49.667Z"},
                   "target": {"id": "/", "apps": [], "groups": [], "pods": [], "dependencies": [],
                              "version": "2014-09-09T05:57:50.866Z"},
                   "steps": [{"actions": [{"action": "StopApplication", "app": "/my-app"}]}]}}),
    ];
    for event in events {
        let event_type = event["eventType"].as_str().unwrap().to_string();
        check::<Event>(event.clone(), event.clone());
        let read: Event = serde_json::from_value(event).unwrap();
        assert_eq!(read.event_type(), event_type);
        assert!(read.to_sse().starts_with(&format!("event: {event_type}\ndata: {{")));
        assert!(read.to_sse().ends_with("}\n\n"));
    }
}

#[test]
fn error_bodies_have_marathons_shapes() {
    let invalid = ErrorBody::invalid_object(vec![ErrorDetail::new("/id", "must not be root")]);
    check::<ErrorBody>(
        serde_json::to_value(invalid).unwrap(),
        json!({"message": "Object is not valid", "details": [{"path": "/id", "errors": ["must not be root"]}]}),
    );
    let unparsable = ErrorBody::unparsable_json("expected value at line 1 column 2");
    check::<ErrorBody>(
        serde_json::to_value(unparsable).unwrap(),
        json!({"message": "Invalid JSON", "details": "expected value at line 1 column 2"}),
    );
    check::<ErrorBody>(
        serde_json::to_value(ErrorBody::app_locked(&["839314dd".to_string()])).unwrap(),
        json!({"message": "App is locked by one or more deployments. Override with the option '?force=true'. \
                           View details at '/v2/deployments/<DEPLOYMENT_ID>'.",
               "deployments": [{"id": "839314dd"}]}),
    );
    assert_eq!(
        serde_json::to_string(&ErrorBody::unknown_app("/x")).unwrap(),
        r#"{"message":"App '/x' does not exist"}"#
    );
}
