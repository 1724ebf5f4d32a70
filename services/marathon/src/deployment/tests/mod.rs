//! Unit tests of the deployment logic, and the short notations their tables use.

mod conflicts_and_view;
mod plans;
mod restarts;
mod rollbacks;
mod scaling;
mod simulation;

use std::collections::BTreeMap;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::*;

/// An app from `"/web n=3 cfg=b v=2 deps=/db,/cache min=0.5 over=0 kill=oldest hc"`; unnamed
/// fields default to 1 instance, config `a`, version `1`, Marathon's upgrade strategy, youngest
/// first, no dependencies, no health checks.
fn app(notation: &str) -> AppSpec {
    let mut words = notation.split_whitespace();
    let mut app = AppSpec {
        id: words.next().expect("an app id").to_string(),
        version: "1".to_string(),
        instances: 1,
        runtime_fingerprint: "a".to_string(),
        upgrade_strategy: UpgradeStrategy::default(),
        kill_selection: KillSelection::YoungestFirst,
        dependencies: Default::default(),
        has_health_checks: false,
    };
    for word in words {
        let (key, value) = word.split_once('=').unwrap_or((word, ""));
        match key {
            "n" => app.instances = value.parse().expect("instances"),
            "cfg" => app.runtime_fingerprint = value.to_string(),
            "v" => app.version = value.to_string(),
            "deps" => app.dependencies = value.split(',').map(str::to_string).collect(),
            "min" => app.upgrade_strategy.minimum_health_capacity = value.parse().expect("a fraction"),
            "over" => app.upgrade_strategy.maximum_over_capacity = value.parse().expect("a fraction"),
            "kill" if value == "oldest" => app.kill_selection = KillSelection::OldestFirst,
            "kill" if value == "youngest" => app.kill_selection = KillSelection::YoungestFirst,
            "hc" => app.has_health_checks = true,
            _ => panic!("unknown app field {word}"),
        }
    }
    app
}

fn apps(notations: &[&str]) -> Vec<AppSpec> {
    notations.iter().map(|notation| app(notation)).collect()
}

/// A task from `"id:state:since"` or `"id@version:state:since"`, version `1` by default. States:
/// `S` staging, `R` running and healthy, `R-` running and failing health checks, `R?` running
/// without health checks, `K` killing. `since` is the staging or start time in seconds.
fn task(notation: &str) -> TaskView {
    let mut parts = notation.split(':');
    let name = parts.next().expect("a task id");
    let (id, version) = name.split_once('@').unwrap_or((name, "1"));
    let state = parts.next().expect("a state");
    let since = UNIX_EPOCH + Duration::from_secs(parts.next().expect("a time").parse().expect("seconds"));
    let (state, healthy) = match state {
        "S" => (TaskState::Staging, Some(false)),
        "R" => (TaskState::Running, Some(true)),
        "R-" => (TaskState::Running, Some(false)),
        "R?" => (TaskState::Running, None),
        "K" => (TaskState::Killing, Some(true)),
        _ => panic!("unknown task state {state}"),
    };
    let started_at = (state != TaskState::Staging).then_some(since);
    TaskView { id: id.to_string(), version: version.to_string(), state, healthy, staged_at: since, started_at }
}

fn tasks(notations: &[&str]) -> Vec<TaskView> {
    notations.iter().map(|notation| task(notation)).collect()
}

/// What has been asked already, from `"queued=2 draining=y:1,z:3 confirmed=y killed=x"`
/// (announced tasks with how many seconds ago, announced tasks every load balancer confirmed),
/// and the step tables' clock: `now` is 100 s after some start.
fn asked(notation: &str) -> (InFlight, Instant) {
    let now = Instant::now() + Duration::from_secs(100);
    let mut in_flight = InFlight::default();
    for word in notation.split_whitespace() {
        let (key, value) = word.split_once('=').expect("key=value");
        let ids = value.split(',').map(str::to_string);
        match key {
            "queued" => in_flight.queued_launches = value.parse().expect("a count"),
            "killed" => in_flight.kills_sent = ids.collect(),
            "confirmed" => in_flight.confirmed = ids.collect(),
            "draining" => {
                for announced in ids {
                    let (id, ago) = announced.split_once(':').expect("id:seconds");
                    in_flight.draining.insert(id.to_string(), now - Duration::from_secs(ago.parse().expect("seconds")));
                }
            }
            _ => panic!("unknown field {word}"),
        }
    }
    (in_flight, now)
}

const DRAIN_WAIT: Duration = Duration::from_secs(3);

/// Orders as `"cancel 1; launch 2; drain c,b; kill a"` or `"complete"`; nothing at all is `""`.
fn render_orders(orders: &Orders) -> String {
    let mut parts = Vec::new();
    if orders.cancel_launches > 0 {
        parts.push(format!("cancel {}", orders.cancel_launches));
    }
    if orders.launch > 0 {
        parts.push(format!("launch {}", orders.launch));
    }
    if !orders.drain.is_empty() {
        parts.push(format!("drain {}", orders.drain.join(",")));
    }
    if !orders.kill.is_empty() {
        parts.push(format!("kill {}", orders.kill.join(",")));
    }
    if orders.complete {
        parts.push("complete".to_string());
    }
    parts.join("; ")
}

/// A plan as one line per step: `"StopApplication /a, StopApplication /b"`.
fn render_plan(plan: &DeploymentPlan) -> Vec<String> {
    plan.steps
        .iter()
        .map(|step| {
            let actions: Vec<String> =
                step.actions.iter().map(|action| format!("{} {}", action.name(), action.app().id)).collect();
            actions.join(", ")
        })
        .collect()
}

fn plan_between(original: &[AppSpec], target: &[AppSpec]) -> DeploymentPlan {
    let request = PlanRequest { original, target, version: "2".to_string(), sentenced: BTreeMap::new() };
    plan(request, || "d1".to_string()).expect("a valid plan")
}

fn seconds_since_epoch(seconds: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(seconds)
}
