//! The renderer, data-driven: apps (as marathon's JSON) in, config fragments or the reason an app
//! is left out, out. One `check` per case.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::path::Path;

use corral_wire::marathon::AppInfo;
use serde_json::{json, Value};

use crate::haproxy_config::{render, RenderOptions};
use crate::layout::{plan, Plan};
use crate::services::{select, GroupFilter, SelectionInput};

fn options() -> RenderOptions {
    RenderOptions::in_work_dir(Path::new("/w"))
}

/// An app with one service port (10000 unless `ports` says otherwise) and running tasks on
/// 10.0.0.1 (31001, 31002, ...), with `extra` merged in.
fn app(id: &str, labels: Value, extra: Value) -> Value {
    let stem = id.trim_start_matches('/');
    let mut app = json!({
        "id": id, "instances": 2, "labels": labels, "portDefinitions": [{"port": 10000}],
        "tasksStaged": 0, "tasksRunning": 2, "tasksHealthy": 0, "tasksUnhealthy": 0, "deployments": [],
        "version": "2026-12-01T10:00:00.000Z",
        "tasks": [
            {"id": format!("{stem}.a"), "appId": id, "host": "node1", "ports": [31001], "state": "TASK_RUNNING"},
            {"id": format!("{stem}.b"), "appId": id, "host": "node1", "ports": [31002], "state": "TASK_RUNNING"},
        ],
    });
    for (key, value) in extra.as_object().expect("extra is an object") {
        app[key] = value.clone();
    }
    app
}

struct Case<'a> {
    apps: Vec<Value>,
    group: &'a str,
    draining: &'a [&'a str],
    /// Lines (trimmed) that must appear, in this order.
    lines: &'a [&'a str],
    absent: &'a [&'a str],
    /// `(app, part of the reason)` of every app left out.
    excluded: &'a [(&'a str, &'a str)],
}

const CASE: Case<'static> =
    Case { apps: Vec::new(), group: "external", draining: &[], lines: &[], absent: &[], excluded: &[] };

fn check(case: Case<'_>) {
    let apps: Vec<AppInfo> = case.apps.iter().map(|app| serde_json::from_value(app.clone()).expect("an app")).collect();
    let addresses: BTreeMap<String, IpAddr> = [("node1".to_string(), "10.0.0.1".parse().unwrap())].into();
    let draining: BTreeSet<String> = case.draining.iter().map(|id| id.to_string()).collect();
    let group = GroupFilter::parse(case.group);
    let input =
        SelectionInput { group: &group, reserved_ports: &[80, 443, 9090], addresses: &addresses, draining: &draining };
    let selection = select(&apps, &input);
    let text = render(&plan(&selection, &Plan::default()), &options()).text;
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut from = 0;
    for expected in case.lines {
        match lines[from..].iter().position(|line| line == expected) {
            Some(at) => from += at + 1,
            None => panic!("missing (or out of order): {expected:?}\n{text}"),
        }
    }
    for absent in case.absent {
        assert!(!text.contains(absent), "unexpected {absent:?}\n{text}");
    }
    let excluded: Vec<(String, String)> =
        selection.excluded.iter().map(|e| (e.app.clone(), e.reason.clone())).collect();
    assert_eq!(excluded.len(), case.excluded.len(), "excluded: {excluded:?}");
    for ((app, reason), (expected_app, expected_reason)) in excluded.iter().zip(case.excluded) {
        assert_eq!(app, expected_app);
        assert!(reason.contains(expected_reason), "{app}: {reason:?} lacks {expected_reason:?}");
    }
}

#[test]
fn a_vhost_routes_by_host_on_http_and_by_sni_on_https() {
    check(Case {
        apps: vec![app(
            "/web",
            json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "Web.test,www.web.test"}),
            json!({}),
        )],
        lines: &[
            "stats socket /w/haproxy-admin.sock mode 600 level admin expose-fd listeners",
            "frontend http_in",
            "acl host_web_10000 hdr(host),field(1,:) -i web.test www.web.test",
            "use_backend web_10000 if host_web_10000",
            "frontend https_in",
            "bind :443 ssl crt-list /w/crt-list.txt",
            "acl sni_web_10000 ssl_fc_sni -i web.test www.web.test",
            "use_backend web_10000 if sni_web_10000",
            "frontend web_10000",
            "bind :10000",
            "mode http",
            "backend web_10000",
            "balance roundrobin",
            "default-server check inter 2s fastinter 200ms downinter 200ms rise 1 fall 2",
            "server s1 10.0.0.1:31001",
            "server s2 10.0.0.1:31002",
            "server s3 127.0.0.1:1 disabled",
            "server s8 127.0.0.1:1 disabled",
        ],
        absent: &["server s9 "],
        ..CASE
    });
}

#[test]
fn without_a_vhost_a_port_is_tcp_and_only_on_its_service_port() {
    check(Case {
        apps: vec![app(
            "/db",
            json!({"HAPROXY_GROUP": "external", "HAPROXY_0_PORT": "15432", "HAPROXY_0_BIND_ADDR": "127.0.0.1"}),
            json!({}),
        )],
        lines: &["frontend db_15432", "bind 127.0.0.1:15432", "mode tcp", "backend db_15432", "mode tcp"],
        absent: &["host_db", "sni_db", "option forwardfor"],
        ..CASE
    });
}

#[test]
fn paths_come_before_plain_hosts_and_weight_orders_the_rest() {
    check(Case {
        apps: vec![
            app(
                "/site",
                json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "a.test"}),
                json!({"portDefinitions": [{"port": 10001}]}),
            ),
            app(
                "/api",
                json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "a.test", "HAPROXY_0_PATH": "/api"}),
                json!({"portDefinitions": [{"port": 10002}]}),
            ),
            app(
                "/zzz",
                json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "z.test", "HAPROXY_0_BACKEND_WEIGHT": "9"}),
                json!({"portDefinitions": [{"port": 10003}]}),
            ),
        ],
        lines: &[
            "use_backend zzz_10003 if host_zzz_10003",
            "use_backend api_10002 if host_api_10002 path_api_10002",
            "use_backend site_10001 if host_site_10001",
        ],
        ..CASE
    });
}

#[test]
fn redirect_sticky_balance_and_https_only_headers() {
    check(Case {
        apps: vec![app(
            "/shop",
            json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "shop.test", "HAPROXY_0_REDIRECT_TO_HTTPS": "true",
                   "HAPROXY_0_STICKY": "true", "HAPROXY_0_BALANCE": "leastconn"}),
            json!({}),
        )],
        lines: &[
            "http-request redirect scheme https code 301 if host_shop_10000",
            "balance leastconn",
            "http-response set-header Strict-Transport-Security \"max-age=15768000\" if { ssl_fc }",
            "cookie corral_server_id insert indirect nocache",
            "server s1 10.0.0.1:31001 cookie s1",
        ],
        ..CASE
    });
}

#[test]
fn an_http_health_check_makes_http_mode_and_only_healthy_tasks_serve() {
    let check_json = json!([{"protocol": "HTTP", "path": "/ping", "portIndex": 0, "intervalSeconds": 3, "maxConsecutiveFailures": 2}]);
    let tasks = json!([
        {"id": "h.ok", "appId": "/h", "host": "node1", "ports": [31001], "state": "TASK_RUNNING",
         "healthCheckResults": [{"alive": true, "consecutiveFailures": 0, "instanceId": "h.ok"}]},
        {"id": "h.sick", "appId": "/h", "host": "node1", "ports": [31002], "state": "TASK_RUNNING",
         "healthCheckResults": [{"alive": false, "consecutiveFailures": 3, "instanceId": "h.sick"}]},
        {"id": "h.new", "appId": "/h", "host": "node1", "ports": [31003], "state": "TASK_RUNNING"},
        {"id": "h.staging", "appId": "/h", "host": "node1", "ports": [31004], "state": "TASK_STAGING"},
    ]);
    check(Case {
        apps: vec![app(
            "/h",
            json!({"HAPROXY_GROUP": "external"}),
            json!({"healthChecks": check_json, "tasks": tasks}),
        )],
        lines: &[
            "mode http",
            "option httpchk GET /ping",
            "default-server check inter 3s fastinter 200ms downinter 200ms rise 1 fall 2",
            "server s1 10.0.0.1:31001",
        ],
        absent: &[":31002", ":31003", ":31004"],
        ..CASE
    });
}

#[test]
fn killing_and_unresolved_tasks_are_left_out_and_draining_ones_get_no_new_requests() {
    let tasks = json!([
        {"id": "k.run", "appId": "/k", "host": "node1", "ports": [31001], "state": "TASK_RUNNING"},
        {"id": "k.drain", "appId": "/k", "host": "node1", "ports": [31002], "state": "TASK_RUNNING"},
        {"id": "k.kill", "appId": "/k", "host": "node1", "ports": [31003], "state": "TASK_KILLING"},
        {"id": "k.far", "appId": "/k", "host": "nowhere", "ports": [31004], "state": "TASK_RUNNING"},
    ]);
    check(Case {
        apps: vec![app("/k", json!({"HAPROXY_GROUP": "external"}), json!({"tasks": tasks}))],
        draining: &["k.drain"],
        lines: &["server s1 10.0.0.1:31002 weight 0", "server s2 10.0.0.1:31001"],
        absent: &[":31003", ":31004"],
        ..CASE
    });
}

#[test]
fn groups_choose_the_apps_and_ports() {
    let apps = || {
        vec![
            app("/in", json!({"HAPROXY_GROUP": "internal"}), json!({"portDefinitions": [{"port": 10001}]})),
            app("/none", json!({}), json!({"portDefinitions": [{"port": 10002}]})),
            app(
                "/off",
                json!({"HAPROXY_GROUP": "external", "HAPROXY_0_ENABLED": "false"}),
                json!({"portDefinitions": [{"port": 10003}]}),
            ),
            app(
                "/two",
                json!({"HAPROXY_0_GROUP": "external", "HAPROXY_1_GROUP": "internal"}),
                json!({"portDefinitions": [{"port": 10004}, {"port": 10005}]}),
            ),
        ]
    };
    check(Case {
        apps: apps(),
        lines: &["frontend two_10004"],
        absent: &["in_10001", "none_", "off_", "two_10005"],
        ..CASE
    });
    check(Case {
        apps: apps(),
        group: "internal",
        lines: &["frontend in_10001", "frontend two_10005"],
        absent: &["two_10004"],
        ..CASE
    });
    check(Case {
        apps: apps(),
        group: "*",
        lines: &["frontend in_10001", "frontend none_10002", "frontend two_10004", "frontend two_10005"],
        absent: &["off_10003"],
        ..CASE
    });
}

#[test]
fn labels_that_could_add_directives_are_refused_with_their_reason() {
    let bad = [
        ("/a", json!({"HAPROXY_0_VHOST": "a.test\n  bind :1"}), "HAPROXY_0_VHOST"),
        ("/b", json!({"HAPROXY_0_VHOST": "b.test x.test"}), "is not a host name"),
        ("/c", json!({"HAPROXY_0_VHOST": "c.test", "HAPROXY_0_PATH": "/x if TRUE"}), "HAPROXY_0_PATH"),
        ("/d", json!({"HAPROXY_0_BALANCE": "roundrobin\n  server x 1.2.3.4:80"}), "HAPROXY_0_BALANCE"),
        ("/e", json!({"HAPROXY_0_MODE": "udp"}), "is not a mode"),
        ("/f", json!({"HAPROXY_0_PORT": "70000"}), "is not a port"),
        ("/g", json!({"HAPROXY_0_SSL_CERT": "relative.pem"}), "HAPROXY_0_SSL_CERT"),
        ("/h", json!({"HAPROXY_0_STICKY": "maybe"}), "is not true or false"),
        ("/i", json!({"HAPROXY_0_BACKEND_HEAD": "backend x"}), "template overrides"),
        ("/j", json!({"HAPROXY_0_BACKEND_HTTP_OPTIONS": "rspirep ^(.*) \\1"}), "removed in HAProxy 2.1"),
        ("/k", json!({"HAPROXY_0_MODE": "tcp", "HAPROXY_0_VHOST": "k.test"}), "tcp cannot route"),
        ("/l", json!({"HAPROXY_0_BIND_ADDR": "0.0.0.0 ssl"}), "is not an IP address"),
    ];
    let apps = bad
        .iter()
        .enumerate()
        .map(|(i, (id, labels, _))| {
            let mut labels = labels.clone();
            labels["HAPROXY_GROUP"] = json!("external");
            app(id, labels, json!({"portDefinitions": [{"port": 10001 + i}]}))
        })
        .chain([app("/good", json!({"HAPROXY_GROUP": "external"}), json!({"portDefinitions": [{"port": 10100}]}))])
        .collect();
    let excluded: Vec<(&str, &str)> = bad.iter().map(|(id, _, reason)| (*id, *reason)).collect();
    check(Case {
        apps,
        lines: &["frontend good_10100"],
        absent: &["bind :1\n", "1.2.3.4"],
        excluded: &excluded,
        ..CASE
    });
}

#[test]
fn a_port_taken_twice_keeps_the_first_app_by_id() {
    check(Case {
        apps: vec![
            app("/b", json!({"HAPROXY_GROUP": "external", "HAPROXY_0_PORT": "15000"}), json!({})),
            app(
                "/a",
                json!({"HAPROXY_GROUP": "external", "HAPROXY_0_PORT": "15000", "HAPROXY_0_BIND_ADDR": "127.0.0.1"}),
                json!({}),
            ),
            app("/c", json!({"HAPROXY_GROUP": "external", "HAPROXY_0_PORT": "443"}), json!({})),
        ],
        lines: &["frontend a_15000"],
        excluded: &[("/b", "port 15000 is already bound for /a"), ("/c", "one of the lb's own frontends")],
        ..CASE
    });
}

#[test]
fn the_same_input_renders_the_same_bytes() {
    let apps: Vec<AppInfo> = (0..20)
        .rev()
        .map(|i| {
            let labels = json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": format!("s{i}.test")});
            serde_json::from_value(app(&format!("/s{i}"), labels, json!({"portDefinitions": [{"port": 11000 + i}]})))
                .unwrap()
        })
        .collect();
    let addresses: BTreeMap<String, IpAddr> = [("node1".to_string(), "10.0.0.1".parse().unwrap())].into();
    let group = GroupFilter::parse("external");
    let draining = BTreeSet::new();
    let input = SelectionInput { group: &group, reserved_ports: &[], addresses: &addresses, draining: &draining };
    let once = render(&plan(&select(&apps, &input), &Plan::default()), &options());
    let mut reversed = apps.clone();
    reversed.reverse();
    let again = render(&plan(&select(&reversed, &input), &Plan::default()), &options());
    assert_eq!(once, again);
    // Every app's lines are attributed to it, so a refused line names its app.
    let line = once.text.lines().position(|line| line.contains("acl host_s7_11007")).unwrap() + 1;
    assert_eq!(once.app_at_line(line), Some("/s7"));
    assert_eq!(once.app_at_line(2), None);
}
