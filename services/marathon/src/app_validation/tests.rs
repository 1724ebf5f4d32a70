//! Every rule, through the one public entry: a request body, the app it is applied to, and the
//! `details` Marathon would answer (or none).

use serde_json::{json, Value};

use super::marathon::{AppDefinition, AppUpdate};
use super::{validate, validate_definition};

/// Validating `request` as a new app gives the errors `expected` (`[]`: valid).
fn check(request: Value, expected: Value) {
    check_update(&AppDefinition::new(""), request, expected);
}

fn check_update(base: &AppDefinition, request: Value, expected: Value) {
    let update: AppUpdate = serde_json::from_value(request.clone()).expect("the request reads");
    let details = match validate(&update, base) {
        Ok(_) => json!([]),
        Err(details) => serde_json::to_value(details).unwrap(),
    };
    assert_eq!(details, expected, "for {request}");
}

/// A valid app with `extra` fields added.
fn app(extra: Value) -> Value {
    let mut app = json!({"id": "/web", "cmd": "serve"});
    app.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    app
}

fn one(path: &str, error: &str) -> Value {
    json!([{"path": path, "errors": [error]}])
}

const ID_ERROR: &str = r"must fully match regular expression '^(([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])\.)*([a-z0-9]|[a-z0-9][a-z0-9\-]*[a-z0-9])|(\.|\.\.)$'";
const NO_COMMAND: &str = "AppDefinition must either contain one of 'cmd' or 'args', and/or a 'container'.";
const PORT_INDEX: &str =
    "Health check port indices must address an element of the ports array or container port mappings.";
const NO_URIS: &str = "Corral does not support uris yet: the agents download nothing into the sandbox";
const NO_VOLUMES: &str = "Corral does not support volumes yet: the agents mount none";
const NO_READINESS: &str = "Corral does not support readiness checks yet: deployments wait for health checks only";
const ONE_HEALTH_CHECK: &str = "Corral does not support more than one health check yet: the agents run only the first";

#[test]
fn valid_apps() {
    check(json!({"id": "/web", "cmd": "serve"}), json!([]));
    check(json!({"id": "/web", "args": ["serve", "--port", "80"]}), json!([]));
    check(json!({"id": "/web", "container": {"docker": {"image": "nginx"}}}), json!([]));
    check(json!({"id": "/web", "args": ["-p"], "container": {"docker": {"image": "nginx"}}}), json!([]));
    check(json!({"id": "/web", "container": {"type": "MESOS", "docker": {"image": "nginx"}}}), json!([]));
    check(app(json!({"instances": 0, "cpus": 0, "mem": 0})), json!([]));
    check(
        app(json!({"constraints": [["hostname", "UNIQUE"], ["rack", "GROUP_BY", "3"], ["rack", "LIKE", "r[0-9]+"],
                                     ["zone", "CLUSTER", "a"], ["zone", "MAX_PER", "2"], ["host", "IS", "a"]]})),
        json!([]),
    );
    check(app(json!({"healthChecks": [{"protocol": "HTTP", "path": "/health"}]})), json!([]));
    check(app(json!({"healthChecks": [{"protocol": "COMMAND", "command": {"value": "true"}}]})), json!([]));
}

#[test]
fn ids() {
    for id in
        ["a b", "a#$%^&*b", "-dash-disallowed-at-start", "dash-disallowed-at-end-", "uppercaseLettersNoGood", "a..b"]
    {
        check(json!({"id": id, "cmd": "x"}), one("/id", ID_ERROR));
    }
    check(
        json!({"id": "/web/tasks", "cmd": "x"}),
        one("/id", "must not end with any of the following reserved keywords: restart, tasks, versions, ., .."),
    );
    check(json!({"id": "/", "cmd": "x"}), one("/id", "must not be root"));
    check(json!({"cmd": "x"}), one("/id", "must not be root"));
    check(json!({"id": "/prod/web", "cmd": "x", "dependencies": ["/db", "Bad"]}), one("/dependencies(1)", ID_ERROR));
}

#[test]
fn ids_are_made_canonical() {
    let valid = |request: Value| {
        let update: AppUpdate = serde_json::from_value(request).unwrap();
        validate(&update, &AppDefinition::new("")).unwrap().into_app()
    };
    let web = valid(json!({"id": "prod/web/", "cmd": "x", "dependencies": ["db", "../shared/cache", "/other"]}));
    assert_eq!(web.id, "/prod/web");
    assert_eq!(web.dependencies, ["/prod/db", "/shared/cache", "/other"]);
}

#[test]
fn ids_longer_than_a_task_id_can_carry_are_refused() {
    use crate::app_validation::MAX_ID_LENGTH;
    use crate::core::Instance;

    // `/aaa…/aaa…/bbb…`: 49-character segments, then what is left of `length`.
    let id_of_length = |length: usize| {
        let mut id = String::new();
        while id.len() + 50 <= length {
            id.push('/');
            id.push_str(&"a".repeat(49));
        }
        if id.len() < length {
            id.push('/');
            id.push_str(&"b".repeat(length - id.len()));
        }
        id
    };
    let longest = id_of_length(MAX_ID_LENGTH);
    assert_eq!(longest.len(), MAX_ID_LENGTH);
    check(json!({"id": longest, "cmd": "x"}), json!([]));
    // Its task ids are exactly as long as a file name may be.
    assert_eq!(Instance::new_task_id(&longest, &corral_kit::random_uuid()).len(), 255);

    let too_long = id_of_length(MAX_ID_LENGTH + 1);
    let message = format!(
        "is {} characters long; at most {MAX_ID_LENGTH} are allowed, so that its task ids (the id, a dot and a uuid) \
         are file names on the agents",
        MAX_ID_LENGTH + 1
    );
    check(json!({"id": too_long, "cmd": "x"}), one("/id", &message));
    // The length counts once the id is canonical: `..` and a relative id do not hide it.
    check(json!({"id": format!("x/..{too_long}"), "cmd": "x"}), one("/id", &message));
    check(json!({"id": format!("x/..{longest}"), "cmd": "x"}), json!([]));
}

#[test]
fn commands() {
    check(json!({"id": "/web"}), one("/", NO_COMMAND));
    check(app(json!({"args": ["a"]})), one("/", NO_COMMAND));
    check(app(json!({"args": ["a"], "container": {"docker": {"image": "nginx"}}})), one("/", NO_COMMAND));
    check(json!({"id": "/web", "cmd": ""}), one("/", "must not be an empty string"));
    check(
        app(json!({"executor": "/test//path"})),
        one("/executor", "must fully match regular expression '^(//cmd)|(/?[^/]+(/[^/]+)*)|$'"),
    );
}

#[test]
fn numbers() {
    check(app(json!({"instances": -3})), one("/instances", "got -3, expected 0 or more"));
    check(app(json!({"cpus": -3.0})), one("/cpus", "got -3.0, expected 0.0 or more"));
    check(app(json!({"mem": -3})), one("/mem", "got -3.0, expected 0.0 or more"));
    check(app(json!({"disk": -0.5})), one("/disk", "got -0.5, expected 0.0 or more"));
    check(app(json!({"gpus": -1})), one("/gpus", "got -1, expected 0 or more"));
    check(app(json!({"backoffFactor": 0.5})), one("/backoffFactor", "got 0.5, expected 1.0 or more"));
    check(app(json!({"backoffSeconds": -1})), one("/backoffSeconds", "got -1, expected 0 or more"));
    check(app(json!({"maxLaunchDelaySeconds": -1})), one("/maxLaunchDelaySeconds", "got -1, expected 0 or more"));
    check(
        app(json!({"taskKillGracePeriodSeconds": -1})),
        one("/taskKillGracePeriodSeconds", "got -1, expected 0 or more"),
    );
    check(
        app(json!({"upgradeStrategy": {"minimumHealthCapacity": 1.2}})),
        one("/upgradeStrategy/minimumHealthCapacity", "got 1.2, expected between 0.0 and 1.0"),
    );
    check(
        app(json!({"upgradeStrategy": {"minimumHealthCapacity": 0.5, "maximumOverCapacity": -1.2}})),
        one("/upgradeStrategy/maximumOverCapacity", "got -1.2, expected between 0.0 and 1.0"),
    );
    check(
        app(json!({"unreachableStrategy": {"inactiveAfterSeconds": -1, "expungeAfterSeconds": 600}})),
        one("/unreachableStrategy/inactiveAfterSeconds", "got -1, expected 0 or more"),
    );
    check(app(json!({"acceptedResourceRoles": []})), one("/acceptedResourceRoles", "must not be empty"));
    check(
        app(json!({"instances": -1, "mem": -1})),
        json!([{"path": "/instances", "errors": ["got -1, expected 0 or more"]},
               {"path": "/mem", "errors": ["got -1.0, expected 0.0 or more"]}]),
    );
}

#[test]
fn every_number_has_an_upper_bound_so_none_can_overflow_a_deadline() {
    const LARGEST: i64 = i32::MAX as i64;
    let too_big = |path: &str, got: &str| one(path, &format!("got {got}, expected {LARGEST} or less"));
    // The app of the issue, whose failing task made the launch backoff overflow an `Instant`.
    check(app(json!({"maxLaunchDelaySeconds": i64::MAX})), too_big("/maxLaunchDelaySeconds", "9223372036854775807"));
    for field in ["backoffSeconds", "maxLaunchDelaySeconds", "taskKillGracePeriodSeconds"] {
        check(app(json!({field: LARGEST + 1})), too_big(&format!("/{field}"), "2147483648"));
        check(app(json!({field: LARGEST})), json!([]));
    }
    for field in ["gracePeriodSeconds", "intervalSeconds", "timeoutSeconds", "maxConsecutiveFailures", "delaySeconds"] {
        let checked = |value: i64| app(json!({"healthChecks": [{"protocol": "TCP", field: value}]}));
        check(checked(i64::MAX), too_big(&format!("/healthChecks(0)/{field}"), "9223372036854775807"));
        check(checked(LARGEST), json!([]));
    }
    let amount_too_big = |path: &str, got: &str| one(path, &format!("got {got}, expected 2147483647.0 or less"));
    for field in ["cpus", "mem", "disk", "backoffFactor"] {
        check(app(json!({field: 1e300})), amount_too_big(&format!("/{field}"), "1e300"));
        check(app(json!({field: 2147483647.0})), json!([]));
    }
}

#[test]
fn constraints() {
    let with = |constraint: Value| app(json!({"constraints": [constraint]}));
    check(with(json!([])), one("/constraints(0)", "Missing field and operator"));
    check(with(json!(["hostname"])), one("/constraints(0)", "illegal constraint specification hostname"));
    check(
        with(json!(["hostname", "UNIQUE", "x", "y"])),
        one("/constraints(0)", "illegal constraint specification hostname,UNIQUE,x,y"),
    );
    check(with(json!(["hostname", "SOMETIMES"])), one("/constraints(0)", "illegal constraint operator SOMETIMES"));
    check(with(json!(["hostname", "UNIQUE", "x"])), one("/constraints(0)", "Value specified but not used"));
    check(with(json!(["rack", "CLUSTER"])), one("/constraints(0)", "Missing value"));
    check(with(json!(["rack", "GROUP_BY", "many"])), one("/constraints(0)", "Value was specified but is not a number"));
    check(with(json!(["rack", "MAX_PER", "1.5"])), one("/constraints(0)", "Value was specified but is not a number"));
    check(with(json!(["rack", "LIKE"])), one("/constraints(0)", "A regular expression value must be provided"));
    check(
        with(json!(["rack", "UNLIKE", "r[0-9"])),
        one("/constraints(0)", "'r[0-9' is not a valid regular expression"),
    );
}

#[test]
fn health_checks() {
    let with = |checks: Value| app(json!({"healthChecks": checks}));
    check(
        with(json!([{"protocol": "COMMAND"}])),
        one("/healthChecks(0)/command", "A command is required when using the COMMAND health check protocol."),
    );
    check(with(json!([{"portIndex": 1}])), one("/healthChecks(0)", PORT_INDEX));
    check(with(json!([{"protocol": "TCP", "portIndex": -1}])), one("/healthChecks(0)", PORT_INDEX));
    check(
        app(json!({"portDefinitions": [], "healthChecks": [{"protocol": "HTTP"}]})),
        one("/healthChecks(0)", PORT_INDEX),
    );
    check(app(json!({"portDefinitions": [], "healthChecks": [{"port": 8080}]})), json!([]));
    check(app(json!({"portDefinitions": [{"port": 0}, {"port": 0}], "healthChecks": [{"portIndex": 1}]})), json!([]));
    check(
        with(json!([{"protocol": "MESOS_HTTP"}, {"protocol": "MESOS_TCP"}])),
        json!([{"path": "/", "errors": ["AppDefinition can contain at most one Mesos health check"]},
               {"path": "/healthChecks", "errors": [ONE_HEALTH_CHECK]}]),
    );
    check(
        with(json!([{"intervalSeconds": -5}])),
        one("/healthChecks(0)/intervalSeconds", "got -5, expected 0 or more"),
    );
    check(with(json!([{"port": 70000}])), one("/healthChecks(0)/port", "got 70000, expected 65535 or less"));
}

#[test]
fn readiness_checks() {
    // Marathon's rules are checked, and then any readiness check is refused: Corral runs none.
    let ports = json!([{"port": 0, "name": "http-api"}]);
    let refused = |mut details: Value| {
        details.as_array_mut().unwrap().push(json!({"path": "/readinessChecks", "errors": [NO_READINESS]}));
        details
    };
    check(app(json!({"portDefinitions": ports, "readinessChecks": [{}]})), refused(json!([])));
    check(
        app(json!({"portDefinitions": ports, "readinessChecks": [{"portName": "admin"}]})),
        refused(one("/readinessChecks(0)/portName", "No port definition reference for portName admin")),
    );
    check(
        app(json!({"portDefinitions": ports, "readinessChecks": [{"intervalSeconds": 10, "timeoutSeconds": 10}]})),
        refused(one("/readinessChecks(0)/timeoutSeconds", "got 10, expected less than 10")),
    );
    check(
        app(json!({"portDefinitions": ports, "readinessChecks": [{"httpStatusCodesForReady": []}, {}]})),
        json!([{"path": "/readinessChecks", "errors": ["got 2, expected 1 or less", NO_READINESS]},
               {"path": "/readinessChecks(0)/httpStatusCodesForReady", "errors": ["must not be empty"]}]),
    );
}

#[test]
fn ports() {
    check(
        app(json!({"portDefinitions": [{"port": 70000}]})),
        one("/portDefinitions(0)/port", "got 70000, expected 65535 or less"),
    );
    check(
        app(json!({"portDefinitions": [{"port": -1}]})),
        one("/portDefinitions(0)/port", "got -1, expected 0 or more"),
    );
    check(
        app(json!({"portDefinitions": [{"port": 0, "name": "http"}, {"port": 0, "name": "http"}]})),
        one("/portDefinitions", "Port names must be unique."),
    );
    check(
        app(json!({"portDefinitions": [{"port": 80}, {"port": 80}]})),
        one("/portDefinitions", "Ports must be unique."),
    );
    check(app(json!({"portDefinitions": [{"port": 0}, {"port": 0}]})), json!([]));
    check(
        app(json!({"portDefinitions": [{"name": "Web_UI"}]})),
        one("/portDefinitions(0)/name", "must fully match regular expression '^[a-z0-9-]+$'"),
    );

    let bridge = |mappings: Value| {
        app(json!({"networks": [{"mode": "container/bridge"}],
                   "container": {"docker": {"image": "nginx"}, "portMappings": mappings}}))
    };
    check(bridge(json!([{"containerPort": 80, "hostPort": 0}])), json!([]));
    check(
        bridge(json!([{"containerPort": 80, "hostPort": 65536}])),
        one("/container/portMappings(0)/hostPort", "got 65536, expected 65535 or less"),
    );
    check(
        bridge(json!([{"containerPort": 80, "servicePort": -2}])),
        one("/container/portMappings(0)/servicePort", "got -2, expected 0 or more"),
    );
    check(
        bridge(json!([{"containerPort": 80, "name": "web"}, {"containerPort": 81, "name": "web"}])),
        one("/container/portMappings", "Port names must be unique."),
    );
}

#[test]
fn networking_and_legacy_fields() {
    check(
        app(json!({"container": {"docker": {"image": "nginx"}, "portMappings": [{"containerPort": 80}]}})),
        one("/", "portMappings are not allowed with host-networking"),
    );
    check(
        app(json!({"networks": [{"mode": "container/bridge"}], "portDefinitions": [{"port": 0}],
                   "container": {"docker": {"image": "nginx"}}})),
        one("/", "portDefinitions are only allowed with host-networking"),
    );
    check(
        app(json!({"networks": [{"mode": "host"}], "container": {"docker": {"image": "nginx", "network": "BRIDGE"}}})),
        one("/", "must not specify both container.docker.network and networks"),
    );
    check(
        app(json!({"container": {"docker": {"image": "nginx", "network": "NONE"}}})),
        one("/container/docker/network", "NONE is not supported; use networks"),
    );
    check(
        app(json!({"container": {"docker": {"image": "nginx", "network": "BRIDGE",
                                            "portMappings": [{"containerPort": 80, "hostPort": 0}]}}})),
        json!([]),
    );
    check(app(json!({"ports": [80, 80]})), one("/", "ports must be unique"));
    check(app(json!({"ports": [70000]})), one("/ports(0)", "got 70000, expected 65535 or less"));
    check(
        app(json!({"ports": [80], "portDefinitions": [{"port": 81}]})),
        one("/", "cannot specify both ports and port definitions"),
    );
    check(app(json!({"ports": [80], "portDefinitions": [{"port": 80}]})), json!([]));
    check(
        app(json!({"uris": ["http://a/b"], "fetch": [{"uri": "http://a/c"}]})),
        json!([{"path": "/uris", "errors": ["may not be set in conjunction with fetch", NO_URIS]}]),
    );
    check(
        app(json!({"version": "2015-09-25T15:13:48.343Z"})),
        one("/", "The 'version' field may only be combined with the 'id' field."),
    );
}

#[test]
fn containers() {
    check(
        json!({"id": "/web", "container": {"type": "DOCKER"}}),
        json!([
            {"path": "/", "errors": [NO_COMMAND]},
            {"path": "/container/docker", "errors": ["not defined"]},
        ]),
    );
    check(json!({"id": "/web", "container": {"docker": {}}}), one("/container/docker/image", "must not be empty"));
    check(app(json!({"container": {"type": "MESOS"}})), json!([]));
    check(
        app(json!({"gpus": 1, "container": {"docker": {"image": "cuda"}}})),
        one("/", "GPU resources only work with the Mesos containerizer"),
    );
    // Marathon's rules on volumes are checked, and then any volume is refused: Corral mounts none.
    let volume = |volume: Value| app(json!({"container": {"type": "MESOS", "volumes": [volume]}}));
    let refused = |path: &str, error: &str| {
        json!([{"path": path, "errors": [error]},
               {"path": "/container/volumes", "errors": [NO_VOLUMES]}])
    };
    check(
        volume(json!({"containerPath": "/data", "hostPath": "/srv", "mode": "RO"})),
        one("/container/volumes", NO_VOLUMES),
    );
    check(volume(json!({"containerPath": "/data"})), refused("/container/volumes(0)/hostPath", "not defined"));
    check(volume(json!({"hostPath": "/srv"})), refused("/container/volumes(0)/containerPath", "must not be empty"));
    check(
        volume(json!({"containerPath": "a/b", "persistent": {"size": 10}})),
        refused("/container/volumes(0)/containerPath", "value must not contain \"/\""),
    );
    check(
        volume(json!({"containerPath": "data", "persistent": {"size": 10}, "external": {"name": "x"}})),
        refused("/container/volumes(0)", "illegal combination of persistent and external volume fields"),
    );
}

#[test]
fn partial_updates_are_checked_against_the_current_app() {
    let current = validate(&serde_json::from_value(app(json!({"instances": 2}))).unwrap(), &AppDefinition::new(""))
        .unwrap()
        .into_app();
    check_update(&current, json!({"instances": 5}), json!([]));
    check_update(&current, json!({"instances": -1}), one("/instances", "got -1, expected 0 or more"));
    check_update(
        &current,
        json!({"cmd": "", "args": ["x"]}),
        json!([
            {"path": "/", "errors": [NO_COMMAND, "must not be an empty string"]},
        ]),
    );
    check_update(&current, json!({"args": ["serve"]}), json!([]));
    check_update(&current, json!({"id": "/web", "version": "2015-09-25T15:13:48.343Z"}), json!([]));

    let bridged = AppDefinition { networks: vec![super::marathon::Network::bridge()], ..current.clone() };
    check_update(
        &bridged,
        json!({"portDefinitions": [{"port": 0}]}),
        one("/", "portDefinitions are only allowed with host-networking"),
    );
}

#[test]
fn canonical_apps_can_be_checked_again() {
    let stored: AppDefinition = serde_json::from_value(json!({"id": "/web", "cmd": "serve", "instances": -1})).unwrap();
    let errors = validate_definition(stored).unwrap_err();
    assert_eq!(serde_json::to_value(errors).unwrap(), one("/instances", "got -1, expected 0 or more"));
}

#[test]
fn fields_corral_does_not_act_on_are_refused_by_name_and_empty_lists_still_pass() {
    let docker = |extra: Value| {
        let mut docker = json!({"image": "nginx"});
        docker.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        app(json!({"container": {"docker": docker}}))
    };
    let not_yet =
        |path: &str, what: &str, because: &str| one(path, &format!("Corral does not support {what} yet: {because}"));
    check(
        app(json!({"container": {"type": "MESOS", "volumes": [{"containerPath": "/data", "hostPath": "/srv"}]}})),
        one("/container/volumes", NO_VOLUMES),
    );
    check(
        docker(json!({"parameters": [{"key": "cap-add", "value": "SYS_ADMIN"}]})),
        not_yet("/container/docker/parameters", "Docker parameters", "the agents pass no parameters to Docker"),
    );
    let as_user = |mut app: Value| {
        app["user"] = json!("nobody");
        app
    };
    check(
        as_user(docker(json!({}))),
        not_yet(
            "/user",
            "`user` with a Docker image",
            "a Docker container runs as its image's user (process tasks run as `user`)",
        ),
    );
    check(as_user(app(json!({}))), json!([]));
    check(
        app(json!({"fetch": [{"uri": "https://example.com/app.tgz"}]})),
        not_yet("/fetch", "fetch", "the agents download nothing into the sandbox"),
    );
    check(app(json!({"uris": ["https://example.com/app.tgz"]})), one("/uris", NO_URIS));
    check(
        app(json!({"portDefinitions": [{"port": 0, "name": "http-api"}], "readinessChecks": [{}]})),
        one("/readinessChecks", NO_READINESS),
    );
    check(
        app(json!({"healthChecks": [{"protocol": "TCP"}, {"protocol": "COMMAND", "command": {"value": "true"}}]})),
        one("/healthChecks", ONE_HEALTH_CHECK),
    );

    // What marathon-python and marathon-lb's tooling send by default.
    check(
        app(json!({"uris": [], "fetch": [], "readinessChecks": [], "healthChecks": [], "user": null,
                   "container": {"type": "DOCKER", "volumes": [], "docker": {"image": "nginx", "parameters": []}}})),
        json!([]),
    );
    let mut empty_user = docker(json!({}));
    empty_user["user"] = json!("");
    check(empty_user, json!([]));
}
