//! The scale step (and start and stop, which are scales): one table per concern.

use super::*;

struct Case<'a> {
    /// The action's app: `app()` notation.
    app: &'a str,
    sentenced: &'a [&'a str],
    tasks: &'a [&'a str],
    /// What was asked already: `asked()` notation.
    asked: &'a str,
    expected: &'a str,
}

const CASE: Case<'static> = Case { app: "/a", sentenced: &[], tasks: &[], asked: "", expected: "" };

fn action(case: &Case<'_>) -> DeploymentAction {
    let sentenced = case.sentenced.iter().map(|id| id.to_string()).collect();
    DeploymentAction::ScaleApplication { app: app(case.app), sentenced }
}

fn check(case: Case<'_>) {
    check_action(&action(&case), &case);
}

fn check_action(action: &DeploymentAction, case: &Case<'_>) {
    let (in_flight, now) = asked(case.asked);
    let tasks = tasks(case.tasks);
    let orders = advance(action, &StepInput { tasks: &tasks, in_flight: &in_flight, now, drain_wait: DRAIN_WAIT });
    assert_eq!(render_orders(&orders), case.expected, "{} with {:?}", action.name(), case.tasks);
}

#[test]
fn scaling_up_launches_what_is_missing() {
    check(Case { app: "/a n=3", expected: "launch 3", ..CASE });
    check(Case { app: "/a n=3", tasks: &["x:R:1"], asked: "queued=1", expected: "launch 1", ..CASE });
    // Tasks on their way out do not count.
    check(Case { app: "/a n=2", tasks: &["x:R:1", "y:K:2"], expected: "launch 1", ..CASE });
    check(Case { app: "/a n=2", tasks: &["x:R:1", "y:R:2"], asked: "killed=y", expected: "launch 1", ..CASE });
}

#[test]
fn scaling_down_follows_the_kill_selection() {
    let running = &["x:R:10", "y:R:30", "z:R:20"];
    check(Case { app: "/a n=1", tasks: running, expected: "drain y,z", ..CASE });
    check(Case { app: "/a n=1 kill=oldest", tasks: running, expected: "drain x,z", ..CASE });
    // Tasks failing health checks go first, then staging ones (killed at once: never routed to),
    // then healthy ones, whatever the kill selection.
    let mixed = &["old:R:10", "young:R:50", "sick:R-:5", "new:S:60"];
    check(Case { app: "/a n=2", tasks: mixed, expected: "drain sick; kill new", ..CASE });
    check(Case { app: "/a n=1 kill=oldest", tasks: mixed, expected: "drain sick,old; kill new", ..CASE });
    check(Case { app: "/a n=1", tasks: mixed, expected: "drain sick,young; kill new", ..CASE });
    // Among staging tasks the kill selection reads the staging time.
    check(Case { app: "/a n=1", tasks: &["s1:S:10", "s2:S:20"], expected: "kill s2", ..CASE });
    check(Case { app: "/a n=1 kill=oldest", tasks: &["s1:S:10", "s2:S:20"], expected: "kill s1", ..CASE });
    // Queued launches are cancelled before any task is killed.
    check(Case { app: "/a n=3", tasks: &["x:R:1", "y:R:2"], asked: "queued=2", expected: "cancel 1", ..CASE });
    check(Case { app: "/a n=1", tasks: &["x:R:1", "y:R:2"], asked: "queued=2", expected: "cancel 2; drain y", ..CASE });
}

#[test]
fn sentenced_tasks_go_first() {
    // `DELETE /v2/apps/a/tasks/x?scale=true`: instances went from 3 to 2, x goes.
    check(Case { app: "/a n=2", sentenced: &["x"], tasks: &["x:R:1", "y:R:2", "z:R:3"], expected: "drain x", ..CASE });
    // Sentenced without scaling down: the task is replaced.
    check(Case {
        app: "/a n=3",
        sentenced: &["x"],
        tasks: &["x:R:1", "y:R:2", "z:R:3"],
        expected: "launch 1; drain x",
        ..CASE
    });
    // Once it is on its way out, the sentence is served.
    let served = "killed=x";
    check(Case { app: "/a n=2", sentenced: &["x"], tasks: &["x:R:1", "y:R:2", "z:R:3"], asked: served, expected: "" });
}

#[test]
fn announced_tasks_are_killed_once_confirmed_or_after_the_wait() {
    let tasks = &["x:R:1", "y:R:2"];
    // Announced 1 s ago, the wait is 3 s: nothing yet.
    check(Case { app: "/a n=1", tasks, asked: "draining=y:1", expected: "", ..CASE });
    check(Case { app: "/a n=1", tasks, asked: "draining=y:3", expected: "kill y", ..CASE });
    // Every load balancer confirmed the drain: killed at once, whatever is left of the wait.
    check(Case { app: "/a n=1", tasks, asked: "draining=y:0 confirmed=y", expected: "kill y", ..CASE });
    check(Case { app: "/a n=1", tasks, asked: "draining=y:3 confirmed=y", expected: "kill y", ..CASE });
    // Each announced task on its own: the confirmed one goes, the other waits.
    let three = &["x:R:1", "y:R:2", "z:R:3"];
    check(Case { app: "/a n=1", tasks: three, asked: "draining=y:1,z:1 confirmed=z", expected: "kill z", ..CASE });
    check(Case { app: "/a n=1", tasks: three, asked: "draining=y:3,z:1 confirmed=z", expected: "kill y,z", ..CASE });
    // A stop (and so an app's deletion) drains the same way.
    let stop = DeploymentAction::StopApplication { app: app("/a") };
    check_action(&stop, &Case { tasks, asked: "draining=x:1,y:1 confirmed=x", expected: "kill x", ..CASE });
    // A task already killing is not killed again, and the scale waits for it to end.
    check(Case { app: "/a n=1", tasks: &["x:R:1", "y:K:2"], asked: "draining=y:9", ..CASE });
}

#[test]
fn the_runner_wakes_up_when_a_wait_ends() {
    let (in_flight, now) = asked("draining=y:1");
    let tasks = tasks(&["x:R:1", "y:R:2", "z:R:3"]);
    let orders = advance(
        &action(&Case { app: "/a n=1", ..CASE }),
        &StepInput { tasks: &tasks, in_flight: &in_flight, now, drain_wait: DRAIN_WAIT },
    );
    assert_eq!(orders.drain, ["z"]);
    // y was announced 1 s ago: its wait ends in 2 s, before z's (3 s).
    assert_eq!(orders.wake_at, Some(now + Duration::from_secs(2)));
    // Without a wait, announcing and killing go together.
    let orders = advance(
        &action(&Case { app: "/a n=1", ..CASE }),
        &StepInput { tasks: &tasks, in_flight: &InFlight::default(), now, drain_wait: Duration::ZERO },
    );
    assert_eq!(render_orders(&orders), "drain z,y; kill z,y");
    assert_eq!(orders.wake_at, None);
    // A confirmed task is killed now: no wake-up is asked for it.
    let (in_flight, now) = asked("draining=y:1,z:2 confirmed=y");
    let orders = advance(
        &action(&Case { app: "/a n=1", ..CASE }),
        &StepInput { tasks: &tasks, in_flight: &in_flight, now, drain_wait: DRAIN_WAIT },
    );
    assert_eq!(render_orders(&orders), "kill y");
    assert_eq!(orders.wake_at, Some(now + Duration::from_secs(1)), "z's wait ends in 1 s");
}

#[test]
fn only_announced_tasks_are_confirmed_and_a_kill_ends_the_drain() {
    let (mut in_flight, now) = asked("draining=y:1 killed=x");
    in_flight.mark_confirmed(|_| true);
    assert_eq!(in_flight.confirmed, ["y".to_string()].into());
    in_flight.mark_confirmed(|id| id != "y");
    assert!(in_flight.confirmed.is_empty(), "a load balancer that joins must confirm too");
    in_flight.mark_confirmed(|_| true);
    in_flight.record(&Orders { kill: vec!["y".to_string()], ..Orders::default() }, now);
    assert!(in_flight.confirmed.is_empty() && in_flight.draining.is_empty());
    assert_eq!(in_flight.kills_sent, ["x".to_string(), "y".to_string()].into());
}

#[test]
fn a_scale_is_complete_when_the_target_version_is_healthy() {
    check(Case { app: "/a n=2", tasks: &["x:R:1", "y:R:2"], expected: "complete", ..CASE });
    check(Case { app: "/a n=0", expected: "complete", ..CASE });
    // Without health checks running is enough.
    check(Case { app: "/a n=1", tasks: &["x:R?:1"], expected: "complete", ..CASE });
    // Launched tasks must become healthy first.
    check(Case { app: "/a n=2", tasks: &["x:R:1", "y:S:2"], expected: "", ..CASE });
    check(Case { app: "/a n=2", tasks: &["x:R:1", "y:R-:2"], expected: "", ..CASE });
    // Tasks of an earlier version are kept as they are.
    check(Case { app: "/a n=2 v=2", tasks: &["x@1:R-:1", "y@2:R:2"], expected: "complete", ..CASE });
    // Launches still queued, or tasks still on their way out, keep it going.
    check(Case { app: "/a n=1", tasks: &["x:R:1"], asked: "queued=1", expected: "cancel 1", ..CASE });
    check(Case { app: "/a n=1", tasks: &["x:R:1", "y:K:2"], expected: "", ..CASE });
}

#[test]
fn start_and_stop_are_scales() {
    let start = DeploymentAction::StartApplication { app: app("/a n=3") };
    check_action(&start, &Case { expected: "complete", ..CASE });
    let stop = DeploymentAction::StopApplication { app: app("/a n=3") };
    let tasks = &["x:R:1", "y:S:2", "z:K:3"];
    check_action(&stop, &Case { tasks, asked: "queued=2", expected: "cancel 2; drain x; kill y", ..CASE });
    check_action(&stop, &Case { tasks: &["z:K:3"], expected: "", ..CASE });
    check_action(&stop, &Case { expected: "complete", ..CASE });
}
