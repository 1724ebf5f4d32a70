//! Times rendering a whole config for 5,000 apps with 3 running tasks each (marathon-lb takes
//! about 140 s for this), from marathon's JSON as the lb reads it to the config's bytes: parse,
//! select, lay out, render. Also times a slot-only change (one task replaced), which the lb applies
//! through the runtime API. Prints a markdown table. Run with `cargo bench -p corral-lb --bench render`.

use std::collections::{BTreeMap, BTreeSet};
use std::hint::black_box;
use std::net::IpAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use corral_lb::haproxy_config::{render, RenderOptions};
use corral_lb::layout::{plan, Plan};
use corral_lb::runtime_commands::runtime_changes;
use corral_lb::services::{select, GroupFilter, SelectionInput};
use corral_wire::marathon::{AppInfo, AppList};
use serde_json::json;

/// The allocator the corral-lb binary uses.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const APPS: usize = 5_000;
const TASKS: usize = 3;
const RUNS: usize = 9;

fn apps_json() -> String {
    let apps: Vec<serde_json::Value> = (0..APPS)
        .map(|i| {
            let id = format!("/team-{}/app-{i}", i % 50);
            let tasks: Vec<serde_json::Value> = (0..TASKS)
                .map(|t| {
                    json!({"id": format!("app-{i}.{t}"), "appId": id, "host": format!("agent-{}", (i + t) % 200),
                                "ports": [31000 + (i * TASKS + t) % 1000], "state": "TASK_RUNNING"})
                })
                .collect();
            let mut labels = json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": format!("app-{i}.example.test")});
            if i % 10 == 0 {
                labels["HAPROXY_0_PATH"] = json!("/api");
                labels["HAPROXY_0_STICKY"] = json!("true");
            }
            json!({"id": id, "instances": TASKS, "labels": labels, "portDefinitions": [{"port": 10_000 + i}],
                   "tasksStaged": 0, "tasksRunning": TASKS, "tasksHealthy": 0, "tasksUnhealthy": 0, "deployments": [],
                   "tasks": tasks})
        })
        .collect();
    json!({"apps": apps}).to_string()
}

fn options() -> RenderOptions {
    RenderOptions::in_work_dir(Path::new("/var/lib/corral-lb"))
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let text = apps_json();
    let addresses: BTreeMap<String, IpAddr> =
        (0..200).map(|a| (format!("agent-{a}"), IpAddr::from([10, 0, (a / 250) as u8, (a % 250) as u8 + 1]))).collect();
    let group = GroupFilter::parse("external");
    let draining = BTreeSet::new();
    let input =
        SelectionInput { group: &group, reserved_ports: &[80, 443, 9090], addresses: &addresses, draining: &draining };
    let options = options();

    let mut full = Vec::new();
    let mut stages = [Vec::new(), Vec::new(), Vec::new(), Vec::new()];
    let mut bytes = 0;
    let mut current = Plan::default();
    for _ in 0..RUNS {
        let start = Instant::now();
        let apps: Vec<AppInfo> = serde_json::from_str::<AppList>(&text).expect("apps").apps;
        let parsed = Instant::now();
        let selection = select(&apps, &input);
        let selected = Instant::now();
        let next = plan(&selection, &Plan::default());
        let planned = Instant::now();
        let config = render(&next, &options);
        let rendered = Instant::now();
        full.push(start.elapsed());
        for (stage, (from, to)) in
            stages.iter_mut().zip([(start, parsed), (parsed, selected), (selected, planned), (planned, rendered)])
        {
            stage.push(to - from);
        }
        bytes = config.text.len();
        current = black_box(next);
    }
    let [parse, selecting, laying_out, rendering] = stages.map(|stage| median(stage).as_secs_f64() * 1000.0);

    // One task replaced: parse, select, lay out against the served plan, diff into commands.
    let mut changed: AppList = serde_json::from_str(&text).expect("apps");
    let task = &mut changed.apps[1234].tasks.as_mut().expect("tasks")[1];
    task.id = "app-1234.replacement".into();
    task.ports = vec![31999];
    let changed_text = serde_json::to_string(&changed).expect("apps");
    let mut runtime = Vec::new();
    let mut commands = 0;
    for _ in 0..RUNS {
        let start = Instant::now();
        let apps: Vec<AppInfo> = serde_json::from_str::<AppList>(&changed_text).expect("apps").apps;
        let next = plan(&select(&apps, &input), &current);
        commands = black_box(runtime_changes(&current.slots, &next)).commands.len();
        runtime.push(start.elapsed());
        assert_eq!(next.layout, current.layout, "a task change keeps the layout");
    }

    println!("| {APPS} apps x {TASKS} tasks ({} MB of JSON) | median of {RUNS} | target |", text.len() / 1_000_000);
    println!("|---|---|---|");
    println!(
        "| full config: parse + select + lay out + render ({} KB) | {:.1} ms | under 100 ms |",
        bytes / 1000,
        median(full).as_secs_f64() * 1000.0
    );
    println!("| of which: parse {parse:.1} ms, select {selecting:.1} ms, lay out {laying_out:.1} ms, render {rendering:.1} ms | | |");
    println!(
        "| one task replaced: parse + select + lay out + diff into {commands} runtime commands | {:.1} ms | |",
        median(runtime).as_secs_f64() * 1000.0
    );
}
