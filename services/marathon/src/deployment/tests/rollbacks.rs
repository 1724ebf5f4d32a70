//! Rollback plans: undo what a deployment changed, from the apps as they are now.

use super::*;

/// Plans `original` → `target`, then rolls that back from `current` (the target when `None`).
fn check(
    original: &[&str],
    target: &[&str],
    current: Option<&[&str]>,
    expected_steps: &[&str],
    expected_apps: &[&str],
) {
    let deployment = plan_between(&apps(original), &apps(target));
    let current = apps(current.unwrap_or(target));
    let rollback = rollback_plan(&deployment, &current, "3".to_string(), || "d2".to_string()).expect("a valid plan");
    assert_eq!(render_plan(&rollback), expected_steps, "rolling back {original:?} → {target:?}");
    assert_eq!(reverted_apps(&deployment, &current), apps(expected_apps), "rolling back {original:?} → {target:?}");
    assert_eq!((rollback.id.as_str(), rollback.version.as_str()), ("d2", "3"));
}

#[test]
fn a_rollback_undoes_each_change() {
    // A created app is stopped.
    check(&[], &["/a n=2"], None, &["StopApplication /a"], &[]);
    // A removed app comes back.
    check(&["/a n=2"], &[], None, &["StartApplication /a", "ScaleApplication /a"], &["/a n=2"]);
    // A scale is scaled back.
    check(&["/a n=1"], &["/a n=5 v=2"], None, &["ScaleApplication /a"], &["/a n=1"]);
    // A restart restarts to the old version again.
    check(&["/a"], &["/a cfg=b v=2"], None, &["RestartApplication /a"], &["/a"]);
    // Dependencies order the rollback as any plan.
    check(
        &["/db n=1", "/web deps=/db"],
        &["/db n=2 v=2", "/web deps=/db cfg=b v=2"],
        None,
        &["ScaleApplication /db", "RestartApplication /web"],
        &["/db n=1", "/web deps=/db"],
    );
}

#[test]
fn a_rollback_leaves_other_changes_alone() {
    // /z changed meanwhile through another deployment: it stays as it is now.
    check(
        &["/a", "/z"],
        &["/a cfg=b v=2", "/z"],
        Some(&["/a cfg=b v=2", "/z n=4 v=3"]),
        &["RestartApplication /a"],
        &["/a", "/z n=4 v=3"],
    );
}

#[test]
fn a_restored_app_keeps_its_old_version() {
    let deployment = plan_between(&apps(&["/a v=1"]), &apps(&["/a cfg=b v=2"]));
    let rollback = rollback_plan(&deployment, &apps(&["/a cfg=b v=2"]), "3".to_string(), || "d2".to_string()).unwrap();
    // Tasks of version 1 that the restart had not replaced yet are kept by the rollback's restart.
    assert_eq!(rollback.steps[0].actions[0].app().version, "1");
}
