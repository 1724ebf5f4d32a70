//! The rolling restart's bounds and single steps; `simulation.rs` runs whole restarts.

use super::*;

#[test]
fn bounds_follow_the_upgrade_strategy() {
    let check = |instances: u32, min: f64, over: f64, expected: (u32, u32)| {
        let strategy = UpgradeStrategy { minimum_health_capacity: min, maximum_over_capacity: over };
        let bounds = RestartBounds::new(instances, strategy);
        assert_eq!((bounds.min_healthy, bounds.max_capacity), expected, "{instances} × {min}/{over}");
    };
    // Kill everything first, one at a time.
    check(1, 0.0, 0.0, (0, 1));
    check(3, 0.0, 0.0, (0, 3));
    // minHealthy == maxCapacity: one extra instance, or nothing could start (TaskReplaceActor).
    check(1, 1.0, 0.0, (1, 2));
    check(3, 1.0, 0.0, (3, 4));
    check(4, 0.5, 0.5, (2, 6));
    check(3, 1.0, 1.0, (3, 6));
    check(3, 0.5, 0.0, (2, 3));
    check(5, 0.6, 0.2, (3, 6));
    // Floating point as in Marathon: 25 × 0.28 is 7.000000000000001, so 8 must stay healthy, and
    // 25 × 1.16 is 28.999999999999996, so 28 may run.
    check(25, 0.28, 0.16, (8, 28));
    check(0, 1.0, 1.0, (0, 1));
}

struct Case<'a> {
    app: &'a str,
    tasks: &'a [&'a str],
    /// What was asked already: `asked()` notation.
    asked: &'a str,
    expected: &'a str,
}

const CASE: Case<'static> = Case { app: "/a", tasks: &[], asked: "", expected: "" };

fn check(case: Case<'_>) {
    let (in_flight, now) = asked(case.asked);
    let tasks = tasks(case.tasks);
    let action = DeploymentAction::RestartApplication { app: app(case.app) };
    let orders = advance(&action, &StepInput { tasks: &tasks, in_flight: &in_flight, now, drain_wait: DRAIN_WAIT });
    assert_eq!(render_orders(&orders), case.expected, "{} with {:?}", case.app, case.tasks);
}

#[test]
fn a_restart_starts_as_the_strategy_allows() {
    let one = &["x:R:1"];
    check(Case { app: "/a v=2 n=1 min=1 over=0", tasks: one, expected: "launch 1", ..CASE });
    check(Case { app: "/a v=2 n=1 min=0 over=0", tasks: one, expected: "drain x", ..CASE });
    let four = &["w:R:1", "x:R:2", "y:R:3", "z:R:4"];
    check(Case { app: "/a v=2 n=4 min=0.5 over=0.5", tasks: four, expected: "launch 2; drain z,y", ..CASE });
    check(Case {
        app: "/a v=2 n=4 min=0.5 over=0.5 kill=oldest",
        tasks: four,
        expected: "launch 2; drain w,x",
        ..CASE
    });
    check(Case { app: "/a v=2 n=4 min=1 over=1", tasks: four, expected: "launch 4", ..CASE });
    check(Case { app: "/a v=2 n=4 min=0 over=0", tasks: four, expected: "drain z,y,x,w", ..CASE });
    // Growing while restarting: at most maxCapacity, here 2 × 6 = 12 counting the 4 old tasks.
    check(Case { app: "/a v=2 n=6 min=0.5 over=1", tasks: four, expected: "launch 6; drain z", ..CASE });
}

#[test]
fn old_tasks_go_as_new_ones_become_healthy() {
    let app = "/a v=2 n=2 min=1 over=0";
    // One new task is starting: wait.
    check(Case { app, tasks: &["x:R:1", "y:R:2", "n1@2:S:3"], ..CASE });
    check(Case { app, tasks: &["x:R:1", "y:R:2", "n1@2:R-:3"], ..CASE });
    // It is healthy: one old task goes.
    check(Case { app, tasks: &["x:R:1", "y:R:2", "n1@2:R:3"], expected: "drain y", ..CASE });
    // While it is announced, capacity stays taken; once gone, the next new task starts.
    let announced = "draining=y:1";
    check(Case { app, tasks: &["x:R:1", "y:R:2", "n1@2:R:3"], asked: announced, ..CASE });
    // Once every load balancer confirmed the drain, the kill goes out without waiting.
    let confirmed = "draining=y:1 confirmed=y";
    check(Case { app, tasks: &["x:R:1", "y:R:2", "n1@2:R:3"], asked: confirmed, expected: "kill y" });
    check(Case { app, tasks: &["x:R:1", "n1@2:R:3"], expected: "launch 1", ..CASE });
    check(Case { app, tasks: &["x:R:1", "n1@2:R:3", "n2@2:R:4"], expected: "drain x", ..CASE });
    check(Case { app, tasks: &["n1@2:R:3", "n2@2:R:4"], expected: "complete", ..CASE });
}

#[test]
fn unhealthy_old_tasks_may_always_go() {
    // Killing them lowers no healthy count, and frees room that 1/0 would not have.
    check(Case {
        app: "/a v=2 n=3 min=1 over=0",
        tasks: &["x:R-:1", "y:R:2", "z:S:3"],
        expected: "launch 1; drain x; kill z",
        ..CASE
    });
}

#[test]
fn a_restart_whose_new_tasks_never_get_healthy_stays_put() {
    let app = "/a v=2 n=2 min=1 over=0 hc";
    check(Case { app, tasks: &["x:R:1", "y:R:2", "n1@2:R-:3"], ..CASE });
    // With minimumHealthCapacity 0 the old tasks went first; the new ones just stay unhealthy.
    check(Case { app: "/a v=2 n=2 min=0 over=0 hc", tasks: &["n1@2:R-:3", "n2@2:R-:4"], ..CASE });
}

#[test]
fn extra_new_tasks_go_too() {
    check(Case { app: "/a v=2 n=1", tasks: &["n1@2:R:1", "n2@2:R:2"], expected: "drain n2", ..CASE });
    check(Case { app: "/a v=2 n=1", tasks: &["n1@2:R:1"], asked: "queued=1", expected: "cancel 1" });
}

#[test]
fn a_restart_to_no_instances_kills_everything() {
    check(Case { app: "/a v=2 n=0", tasks: &["x:R:1", "y:S:2"], expected: "drain x; kill y", ..CASE });
    check(Case { app: "/a v=2 n=0", expected: "complete", ..CASE });
}
