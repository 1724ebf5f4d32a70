//! Property tests of the lb's renderer against any labels: marathon-lb's labels are written by
//! whoever deploys an app, so none of them may make the renderer panic or put anything into
//! `haproxy.cfg` (or the runtime API's commands) that HAProxy would read other than as the plain
//! word it was checked to be.
//!
//! Apps are generated as marathon's JSON with labels that are mostly marathon-lb's and often
//! hostile (newlines, quotes, backslashes, `#`, `$`, unicode), plus health check paths and ids of
//! the same kind. Every config line must then be a single line that HAProxy's tokenizer reads
//! without an error and without a comment or an environment variable that no one wrote on purpose.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

use corral_lb::haproxy_config::{render, RenderOptions, TlsSource};
use corral_lb::labels::port_labels;
use corral_lb::layout::{plan, Plan};
use corral_lb::runtime_commands::runtime_changes;
use corral_lb::services::{select, GroupFilter, SelectionInput};
use corral_lb::template::backend_http_options;
use corral_wire::marathon::AppInfo;
use proptest::prelude::*;
use serde_json::{json, Value};

fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases) }
}

/// Text meant to break a config: line breaks, quotes, escapes, comments, variables, unicode.
fn hostile() -> BoxedStrategy<String> {
    prop_oneof![
        ".{0,10}",
        "[ a-z/'\"\\\\#$\n\r\t;{}%]{0,8}",
        prop::sample::select(vec!["a\nbind :81", "x\r\ny", "/a'b", "/a\\", "\"$HOME\"", "# c", "a b", "\u{2028}"])
            .prop_map(String::from),
    ]
    .boxed()
}

fn mostly(valid: &'static [&'static str]) -> BoxedStrategy<String> {
    prop_oneof![6 => prop::sample::select(valid).prop_map(String::from), 1 => hostile()].boxed()
}

/// `HAPROXY_{n}_BACKEND_HTTP_OPTIONS`: lines marathon-lb users write, some of them broken.
fn http_options() -> BoxedStrategy<String> {
    let line = mostly(&[
        "option forwardfor",
        "  reqadd X-Forwarded-Proto:\\ https if { ssl_fc }",
        "rspadd Strict-Transport-Security:\\ max-age=15768000",
        "reqadd X-A:\\ b\\",
        "reqadd X-A:\\ $HOME",
        "rspadd X-B:\\ ${SECRET} if { ssl_fc }",
        "http-request set-header X-C \"a",
        "http-request set-header X-C 'a",
        "http-request set-header X-C \"$PATH\"",
        "http-request set-header X-D b\\",
        "timeout server 5s",
        "option httplog # note",
        "http-request deny if { path_beg /x }",
        "reqirep ^Host:\\ a Host:\\ b",
    ]);
    (prop::collection::vec(line, 1..4), prop::sample::select(vec!["\n", "\r\n"]))
        .prop_map(|(lines, separator)| lines.join(separator))
        .boxed()
}

/// A label name and a value for it: marathon-lb's labels for ports 0 and 1, the template labels,
/// and any name at all.
fn label() -> BoxedStrategy<(String, String)> {
    let port = prop::sample::select(vec!["0", "1"]);
    let own = |name: &'static str, value: BoxedStrategy<String>| {
        (port.clone(), value).prop_map(move |(port, value)| (format!("HAPROXY_{port}_{name}"), value)).boxed()
    };
    prop_oneof![
        2 => own("GROUP", mostly(&["external", "*", "external,internal"])),
        2 => (mostly(&["external", "*"])).prop_map(|value| ("HAPROXY_GROUP".to_string(), value)).boxed(),
        4 => own("VHOST", mostly(&["a.test", "a.test,B.test", "c.test"])),
        4 => own("PATH", mostly(&["/", "/api", "/a%20b", "/x;y=1", "/$HOME", "/a'b", "/it's", "/a'b'"])),
        1 => own("MODE", mostly(&["tcp", "http", " http "])),
        1 => own("PORT", mostly(&["10001", "10002", "10003"])),
        1 => own("BIND_ADDR", mostly(&["127.0.0.1", "::1", "0.0.0.0"])),
        1 => own("BALANCE", mostly(&["roundrobin", "leastconn", "source"])),
        1 => own("REDIRECT_TO_HTTPS", mostly(&["true", "false", "yes"])),
        1 => own("STICKY", mostly(&["true", "false"])),
        1 => own("ENABLED", mostly(&["true", "1"])),
        1 => own("SSL_CERT", mostly(&["/etc/ssl/a.pem", "/etc/ssl/b-c_d.pem"])),
        1 => own("BACKEND_WEIGHT", mostly(&["-5", "10", "99999999999"])),
        4 => own("BACKEND_HTTP_OPTIONS", http_options()),
        1 => own("FRONTEND_HEAD", hostile()),
        2 => (".{0,12}", hostile()).boxed(),
    ]
    .boxed()
}

fn labels() -> BoxedStrategy<BTreeMap<String, String>> {
    prop::collection::vec(label(), 0..6).prop_map(|labels| labels.into_iter().collect()).boxed()
}

/// An app as marathon lists it, with two running tasks on `node1` (or on a host that does not
/// resolve), service ports, and perhaps an HTTP health check with any path.
fn app() -> BoxedStrategy<Value> {
    let id = prop_oneof![3 => "/[a-z]{1,3}(/[a-z0-9.-]{1,3})?", 1 => hostile()];
    let ports = prop::collection::vec(
        prop_oneof![8 => 10_000i32..10_004, 1 => Just(0), 1 => Just(80), 1 => Just(70_000)],
        1..3,
    );
    let check_path = prop::option::weighted(0.3, prop_oneof![Just("/ping".to_string()), hostile()]);
    let host = prop_oneof![4 => Just("node1"), 1 => Just("nowhere")];
    (id, labels(), ports, check_path, host)
        .prop_map(|(id, labels, ports, check_path, host)| {
            let port_definitions: Vec<Value> = ports.iter().map(|port| json!({"port": port})).collect();
            let tasks: Vec<Value> = (0..2)
                .map(|n| {
                    json!({"id": format!("t{n}"), "appId": id, "host": host, "ports": [31_001 + n, 32_001 + n],
                           "state": "TASK_RUNNING",
                           "healthCheckResults": [{"alive": true, "consecutiveFailures": 0, "instanceId": "i"}]})
                })
                .collect();
            let health_checks: Vec<Value> =
                check_path.iter().map(|path| json!({"protocol": "HTTP", "path": path})).collect();
            json!({
                "id": id, "instances": 2, "labels": labels, "portDefinitions": port_definitions,
                "healthChecks": health_checks, "tasks": tasks,
                "tasksStaged": 0, "tasksRunning": 2, "tasksHealthy": 0, "tasksUnhealthy": 0, "deployments": [],
            })
        })
        .boxed()
}

/// Why HAProxy would read `line` other than as it was meant, if it would: a character that ends
/// or splits the line, a quote left open, a backslash with nothing to escape, a `#` that turns the
/// rest into a comment, or a `$` that HAProxy expands inside double quotes (HAProxy 2.x's rules).
fn misread(line: &str) -> Option<&'static str> {
    if line.chars().any(|c| c.is_control() || c == '\u{2028}' || c == '\u{2029}') {
        return Some("a control character or line break");
    }
    if line.trim_start().starts_with('#') {
        return None;
    }
    let mut quote = None;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => quote = None,
            (Some('\''), _) => {}
            (_, '\\') => {
                if chars.next().is_none() {
                    return Some("a backslash at the end of the line");
                }
            }
            (Some('"'), '$') => return Some("a `$` that HAProxy expands inside double quotes"),
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '#') => return Some("a `#` that starts a comment"),
            (None, _) => {}
        }
    }
    quote.map(|_| "a quote left open")
}

fn render_options(tls_dir: bool) -> RenderOptions {
    let mut options = RenderOptions::in_work_dir(Path::new("/w"));
    if tls_dir {
        options.tls = Some(TlsSource::Dir("/w/certs".into()));
    }
    options
}

proptest! {
    #![proptest_config(cases(1024))]

    #[test]
    fn any_labels_are_read_without_panicking(labels in labels(), index in 0usize..3) {
        let _ = port_labels(&labels, index);
    }

    #[test]
    fn any_template_gives_lines_haproxy_reads_as_written(template in prop_oneof![http_options(), hostile()]) {
        if let Ok(lines) = backend_http_options(&template) {
            for line in &lines {
                prop_assert_eq!(misread(line), None, "{:?} from {:?}", line, template);
            }
        }
    }
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_apps_render_into_a_config_haproxy_reads_as_written(
        apps in prop::collection::vec(app(), 1..5),
        group in prop::sample::select(vec!["external", "*", "*"]),
        tls_dir in any::<bool>(),
        draining in prop::collection::btree_set(prop::sample::select(vec!["t0", "t1"]), 0..2),
    ) {
        let apps: Vec<AppInfo> = apps.into_iter().filter_map(|app| serde_json::from_value(app).ok()).collect();
        let addresses: BTreeMap<String, IpAddr> = [("node1".to_string(), "10.0.0.1".parse().unwrap())].into();
        let draining: BTreeSet<String> = draining.into_iter().map(String::from).collect();
        let group = GroupFilter::parse(group);
        let ports = [80, 443, 9090];
        let input =
            SelectionInput { group: &group, reserved_ports: &ports, addresses: &addresses, draining: &draining };
        let selection = select(&apps, &input);
        let first = plan(&selection, &Plan::default());
        let config = render(&first, &render_options(tls_dir));
        for (number, line) in config.text.lines().enumerate() {
            let app = config.app_at_line(number + 1);
            prop_assert_eq!(misread(line), None, "line {}: {:?}, of {:?}", number + 1, line, app);
        }

        // Going from no servers to these, and back, takes one-line runtime commands with no `;`
        // (which would start another command).
        let empty = plan(&select(&[], &input), &Plan::default());
        for (from, to) in [(&empty.slots, &first), (&first.slots, &plan(&select(&[], &input), &first))] {
            for command in runtime_changes(from, to).commands {
                prop_assert!(!command.contains(';') && misread(&command).is_none(), "{:?}", command);
            }
        }
    }
}

/// Found by the properties above: label values and health check paths that reached the config as
/// text HAProxy reads differently (an open quote, a dangling `\\`, an environment variable).
#[test]
fn values_that_once_reached_the_config_misread_are_refused_or_replaced() {
    let path: BTreeMap<String, String> = [("HAPROXY_0_VHOST", "a.test"), ("HAPROXY_0_PATH", "/it's")]
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .into();
    assert!(port_labels(&path, 0).is_err());
    for template in [
        "reqadd X-A:\\ b\\",
        "rspadd X-B:\\ ${CORRAL_TOKEN} if { ssl_fc }",
        "http-request set-header X-C \"$CORRAL_TOKEN\"",
        "http-request set-header X-C \"a",
        "http-request set-header X-C 'a",
        "http-request set-header X-D b\\",
    ] {
        assert!(backend_http_options(template).is_err(), "{template}");
    }

    for (check_path, written) in
        [("/a'b", "option httpchk GET /"), ("/a\\", "option httpchk GET /"), ("/ok", "option httpchk GET /ok")]
    {
        let app = json!({
            "id": "/h", "instances": 1, "labels": {"HAPROXY_GROUP": "external"}, "portDefinitions": [{"port": 10000}],
            "healthChecks": [{"protocol": "HTTP", "path": check_path}],
            "tasksStaged": 0, "tasksRunning": 0, "tasksHealthy": 0, "tasksUnhealthy": 0, "deployments": [],
        });
        let apps = [serde_json::from_value::<AppInfo>(app).unwrap()];
        let (addresses, draining) = (BTreeMap::new(), BTreeSet::new());
        let group = GroupFilter::parse("external");
        let input = SelectionInput { group: &group, reserved_ports: &[], addresses: &addresses, draining: &draining };
        let config = render(&plan(&select(&apps, &input), &Plan::default()), &render_options(false));
        assert!(config.text.lines().any(|line| line.trim() == written), "{check_path}: {}", config.text);
    }
}
