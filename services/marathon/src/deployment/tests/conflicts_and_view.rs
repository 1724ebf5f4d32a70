//! Deployment conflicts and the `/v2/deployments` view.

use serde_json::json;

use super::*;

fn deployment(id: &str, original: &[&str], target: &[&str]) -> DeploymentPlan {
    DeploymentPlan { id: id.to_string(), ..plan_between(&apps(original), &apps(target)) }
}

fn check(running: &[DeploymentPlan], new: &DeploymentPlan, expected: &[&str]) {
    assert_eq!(conflicting_deployments(running, new), expected);
}

#[test]
fn one_deployment_per_app() {
    let scale_a = deployment("scale-a", &["/a n=1"], &["/a n=2"]);
    let restart_b = deployment("restart-b", &["/b"], &["/b cfg=x"]);
    let stop_c = deployment("stop-c", &["/c"], &[]);
    let running = [scale_a, restart_b, stop_c];
    check(&running, &deployment("new", &["/a n=2"], &["/a n=3"]), &["scale-a"]);
    check(&running, &deployment("new", &["/b", "/c"], &["/b cfg=y", "/c"]), &["restart-b"]);
    // Re-creating an app that is being stopped conflicts with the stop.
    check(&running, &deployment("new", &[], &["/c"]), &["stop-c"]);
    check(&running, &deployment("new", &["/a", "/b"], &[]), &["scale-a", "restart-b"]);
    check(&running, &deployment("new", &[], &["/d"]), &[]);
    // Apps that change without an action are not locked.
    check(&running, &deployment("new", &["/a v=1"], &["/a v=9"]), &[]);
}

#[test]
fn force_cancels_what_conflicts() {
    let running = [deployment("scale-a", &["/a n=1"], &["/a n=2"])];
    let new = deployment("new", &["/a n=2"], &["/a n=3"]);
    assert_eq!(admit(&running, &new, false), Admission::Refuse { conflicts: vec!["scale-a".to_string()] });
    assert_eq!(admit(&running, &new, true), Admission::CancelThenStart { cancel: vec!["scale-a".to_string()] });
    assert_eq!(admit(&[], &new, false), Admission::Start);
}

#[test]
fn the_view_is_marathons_json() {
    let plan = deployment("d1", &["/db n=1", "/old"], &["/db n=2", "/web deps=/db"]);
    let view = serde_json::to_value(deployment_view(&plan, 1)).unwrap();
    let expected = json!({
        "id": "d1",
        "version": "2",
        "affectedApps": ["/db", "/old", "/web"],
        "affectedPods": [],
        "steps": [
            {"actions": [{"action": "StopApplication", "app": "/old"}]},
            {"actions": [{"action": "StartApplication", "app": "/web"}]},
            {"actions": [{"action": "ScaleApplication", "app": "/db"}]},
            {"actions": [{"action": "ScaleApplication", "app": "/web"}]},
        ],
        "currentActions": [{"action": "StartApplication", "app": "/web", "readinessCheckResults": []}],
        "currentStep": 2,
        "totalSteps": 4,
    });
    assert_eq!(view, expected);
}

#[test]
fn the_view_counts_steps_from_one() {
    let plan = deployment("d1", &[], &["/a"]);
    let check = |index: usize, step: usize, action: Option<&str>| {
        let view = deployment_view(&plan, index);
        assert_eq!(view.current_step, step, "index {index}");
        assert_eq!(view.current_actions.first().map(|current| current.action.as_str()), action, "index {index}");
    };
    check(0, 1, Some("StartApplication"));
    check(1, 2, Some("ScaleApplication"));
    check(7, 2, Some("ScaleApplication"));
    let empty = deployment("d0", &["/a"], &["/a"]);
    assert_eq!((deployment_view(&empty, 0).current_step, deployment_view(&empty, 0).total_steps), (0, 0));
}
