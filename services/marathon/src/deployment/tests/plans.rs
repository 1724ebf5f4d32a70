//! Plans: which action each change gets, and the order of the steps.

use super::*;

fn check(original: &[&str], target: &[&str], expected: &[&str]) {
    let plan = plan_between(&apps(original), &apps(target));
    assert_eq!(render_plan(&plan), expected, "from {original:?} to {target:?}");
}

#[test]
fn each_change_gets_marathons_action() {
    // Nothing changes, nothing to do.
    check(&["/a"], &["/a"], &[]);
    // A new app is started with no instances, then scaled up in a later step.
    check(&[], &["/a n=2"], &["StartApplication /a", "ScaleApplication /a"]);
    // A new app without instances still gets both, as in Marathon.
    check(&[], &["/a n=0"], &["StartApplication /a", "ScaleApplication /a"]);
    // Only the instances change: scale.
    check(&["/a n=1"], &["/a n=3"], &["ScaleApplication /a"]);
    check(&["/a n=3"], &["/a n=0"], &["ScaleApplication /a"]);
    // The runtime configuration changes: restart, whatever happens to the instances.
    check(&["/a"], &["/a cfg=b"], &["RestartApplication /a"]);
    check(&["/a n=1"], &["/a n=4 cfg=b"], &["RestartApplication /a"]);
    // So do the upgrade strategy, the kill selection, dependencies and health checks.
    check(&["/a"], &["/a min=0.5"], &["RestartApplication /a"]);
    check(&["/a"], &["/a kill=oldest"], &["RestartApplication /a"]);
    check(&["/a"], &["/a hc"], &["RestartApplication /a"]);
    check(&["/a", "/b"], &["/a", "/b deps=/a"], &["RestartApplication /b"]);
    // A new version that changes nothing the tasks see (labels, say) needs no action.
    check(&["/a v=1"], &["/a v=2"], &[]);
    // A removed app is stopped.
    check(&["/a", "/b"], &["/b"], &["StopApplication /a"]);
}

#[test]
fn steps_follow_dependencies() {
    // Starting: the database before the web app before the load balancer; starts share a step.
    check(
        &[],
        &["/db", "/web deps=/db", "/lb deps=/web"],
        &[
            "StartApplication /db, StartApplication /lb, StartApplication /web",
            "ScaleApplication /db",
            "ScaleApplication /web",
            "ScaleApplication /lb",
        ],
    );
    // Stopping: dependents first (Marathon's deployments.md: "app is removed first and then db").
    check(
        &["/db", "/web deps=/db", "/lb deps=/web"],
        &[],
        &["StopApplication /lb", "StopApplication /web", "StopApplication /db"],
    );
    // Scaling and restarting both, dependencies first.
    check(
        &["/db n=1", "/web deps=/db"],
        &["/db n=3", "/web deps=/db cfg=b"],
        &["ScaleApplication /db", "RestartApplication /web"],
    );
    // Depth counts in the whole graph: an unchanged dependency still puts its dependents later,
    // which only matters for the order among changed apps.
    check(
        &["/db", "/web deps=/db", "/x"],
        &["/db", "/web deps=/db cfg=b", "/x cfg=b"],
        &["RestartApplication /x", "RestartApplication /web"],
    );
    // A diamond: two in the middle share a step.
    check(
        &[],
        &["/a", "/b deps=/a", "/c deps=/a", "/d deps=/b,/c"],
        &[
            "StartApplication /a, StartApplication /b, StartApplication /c, StartApplication /d",
            "ScaleApplication /a",
            "ScaleApplication /b, ScaleApplication /c",
            "ScaleApplication /d",
        ],
    );
    // Dependencies on apps that do not exist do not order anything.
    check(&[], &["/a deps=/ghost"], &["StartApplication /a", "ScaleApplication /a"]);
    // Everything at once: stops, then starts, then the layers.
    check(
        &["/old", "/a", "/b deps=/a n=1"],
        &["/new", "/a cfg=b", "/b deps=/a n=2"],
        &[
            "StopApplication /old",
            "StartApplication /new",
            "RestartApplication /a, ScaleApplication /new",
            "ScaleApplication /b",
        ],
    );
}

#[test]
fn a_plan_records_what_it_locks_and_what_it_replaced() {
    let original = apps(&["/keep", "/gone", "/changed n=1", "/same-version-bump v=1"]);
    let target = apps(&["/keep", "/changed n=2", "/same-version-bump v=2", "/new"]);
    let plan = plan_between(&original, &target);
    assert_eq!(plan.id, "d1");
    assert_eq!(plan.version, "2");
    let affected: Vec<String> = plan.affected_apps().into_iter().collect();
    assert_eq!(affected, ["/changed", "/gone", "/new"]);
    let replaced: Vec<(&str, Option<u32>)> =
        plan.originals.iter().map(|(id, before)| (id.as_str(), before.as_ref().map(|app| app.instances))).collect();
    assert_eq!(replaced, [("/changed", Some(1)), ("/gone", Some(1)), ("/new", None), ("/same-version-bump", Some(1))]);
}

#[test]
fn sentenced_tasks_ride_on_the_scale() {
    let request = PlanRequest {
        original: &apps(&["/a n=3"]),
        target: &apps(&["/a n=2"]),
        version: "2".to_string(),
        sentenced: [("/a".to_string(), vec!["a.1".to_string()])].into_iter().collect(),
    };
    let plan = plan(request, || "d1".to_string()).expect("a valid plan");
    let DeploymentAction::ScaleApplication { sentenced, .. } = &plan.steps[0].actions[0] else { panic!("not a scale") };
    assert_eq!(sentenced, &["a.1".to_string()]);
}

#[test]
fn cycles_are_refused() {
    let target = apps(&["/a deps=/c", "/b deps=/a", "/c deps=/b", "/d"]);
    let request = PlanRequest { original: &[], target: &target, version: "2".to_string(), sentenced: BTreeMap::new() };
    let error = plan(request, || "d1".to_string()).expect_err("a cycle");
    assert_eq!(error, PlanError::DependencyCycle(vec!["/a".to_string(), "/b".to_string(), "/c".to_string()]));
}
