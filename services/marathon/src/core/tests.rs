//! The core's flows without IO: a new app launched into offers and its deployment finished by
//! status updates; a failing task's backoff and `lastTaskFailure`; a rollback; a task marathon
//! does not know; drain before kill; an app stored with numbers beyond Marathon's bounds.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use corral_wire::marathon::{AppDefinition, CommandCheck, HealthCheck, HealthCheckProtocol, Timestamp, VersionInfo};
use corral_wire::mesos::{AgentId, FrameworkId, Offer, OfferId, ResourceSet, TaskState, TaskStatus};

use super::{AppChange, Core, CoreSettings, DrainChange};

const T0: Timestamp = Timestamp::from_millis(1_700_000_000_000);

fn app(id: &str, instances: i32, version: Timestamp) -> AppDefinition {
    let mut app = AppDefinition::new(id);
    app.cmd = Some("sleep 1000".into());
    app.instances = instances;
    app.cpus = 0.5;
    app.mem = 64.0;
    app.version = Some(version);
    app.version_info = Some(VersionInfo { last_scaling_at: version, last_config_change_at: version });
    app
}

fn offer(id: &str, agent: &str, resources: &str) -> Offer {
    Offer {
        id: OfferId::new(id),
        framework_id: FrameworkId::new("f"),
        agent_id: AgentId::new(agent),
        hostname: format!("{agent}.local"),
        resources: ResourceSet::parse(resources).unwrap().to_resources(),
        attributes: Vec::new(),
        url: None,
    }
}

fn status(task: &str, state: TaskState) -> TaskStatus {
    serde_json::from_value(serde_json::json!({
        "task_id": {"value": task}, "state": serde_json::to_value(state).unwrap(), "agent_id": {"value": "a1"}
    }))
    .unwrap()
}

fn empty_core() -> Core {
    core_with_drain_wait(Duration::ZERO)
}

fn core_with_drain_wait(drain_wait: Duration) -> Core {
    let settings =
        CoreSettings { drain_wait, max_instances_per_offer: 5, task_launch_timeout: Duration::from_secs(300) };
    Core::recover(Vec::new(), Vec::new(), Vec::new(), settings)
}

fn deploy(core: &mut Core, changes: Vec<AppChange>, version: Timestamp) -> String {
    let prepared = core.prepare(changes, false, version, BTreeMap::new(), format!("d-{}", version.millis())).unwrap();
    let id = prepared.deployment.plan.id.clone();
    core.commit(prepared);
    id
}

fn uuids() -> impl FnMut() -> String {
    let mut next = 0;
    move || {
        next += 1;
        format!("u{next}")
    }
}

#[test]
fn a_new_app_is_launched_into_offers_and_its_deployment_ends_when_all_run() {
    let mut core = empty_core();
    let now = Instant::now();
    deploy(&mut core, vec![AppChange::Put(Box::new(app("/web", 3, T0)))], T0);
    assert!(core.app("/web").unwrap().port_definitions.as_ref().unwrap()[0].port >= 10_000, "a service port");
    let progress = core.progress(now, T0);
    assert!(progress.finished.is_empty());
    assert!(core.wants_offers());

    let offers = [
        offer("o1", "a1", "cpus:1;mem:1024;ports:[31000-31010]"),
        offer("o2", "a2", "cpus:4;mem:64;ports:[31000-31000]"),
    ];
    let round = core.match_offers(&offers, now, T0, &mut uuids());
    assert_eq!(round.launches.len(), 2, "both offers are used");
    let ports: Vec<u16> = core.all_tasks().flat_map(|task| task.ports.clone()).collect();
    assert_eq!(core.task_count(), 3);
    assert_eq!(ports.len(), 3, "each task has its port: {ports:?}");
    assert!(!core.wants_offers());
    let info = &round.launches[0].task_infos[0];
    assert_eq!(info.task_id.value, "web.u1");

    let ids: Vec<String> = core.all_tasks().map(|task| task.task_id.clone()).collect();
    for id in &ids {
        core.apply_status(&status(id, TaskState::TaskRunning), now, T0);
    }
    let progress = core.progress(now, T0);
    assert_eq!(progress.finished.len(), 1);
    assert_eq!(core.app_info(core.app("/web").unwrap(), Default::default()).tasks_running, 3);
}

#[test]
fn a_failing_task_is_replaced_after_its_backoff_and_remembered() {
    let mut core = empty_core();
    let now = Instant::now();
    deploy(&mut core, vec![AppChange::Put(Box::new(app("/crash", 1, T0)))], T0);
    core.progress(now, T0);
    let offers = [offer("o1", "a1", "cpus:1;mem:1024;ports:[31000-31010]")];
    core.match_offers(&offers, now, T0, &mut uuids());
    let outcome = core.apply_status(&status("crash.u1", TaskState::TaskFailed), now, T0);
    assert_eq!(outcome.ended.unwrap().task_id, "crash.u1");
    let info = core.app_info(core.app("/crash").unwrap(), super::Embed { tasks: true, last_task_failure: true });
    assert_eq!(info.last_task_failure.unwrap().state, "TASK_FAILED");

    core.progress(now, T0);
    assert_eq!(core.queue(now, T0)[0].count, 1, "a replacement waits");
    assert!(core.queue(now, T0)[0].delay.time_left_seconds >= 0);
    let round = core.match_offers(&offers, now, T0, &mut uuids());
    assert!(round.launches.is_empty(), "not during the backoff");
    let later = now + Duration::from_secs(2);
    let round = core.match_offers(&offers, later, T0, &mut uuids());
    assert_eq!(round.launches.len(), 1, "after it");
}

#[test]
fn an_app_stored_with_numbers_beyond_marathons_bounds_fails_and_backs_off_without_panicking() {
    // Stored before validation bounded its numbers (or written into the store by hand).
    let mut crash = app("/crash", 1, T0);
    crash.backoff_seconds = i64::MAX;
    crash.backoff_factor = f64::MAX;
    crash.max_launch_delay_seconds = i64::MAX;
    crash.task_kill_grace_period_seconds = Some(i64::MAX);
    let mut check = HealthCheck::of_protocol(HealthCheckProtocol::Command);
    check.command = Some(CommandCheck { value: "true".into() });
    (check.grace_period_seconds, check.interval_seconds, check.timeout_seconds) = (i64::MAX, i64::MAX, i64::MAX);
    (check.max_consecutive_failures, check.delay_seconds) = (i64::MAX, i64::MAX);
    crash.health_checks = vec![check];

    let mut core = empty_core();
    let now = Instant::now();
    deploy(&mut core, vec![AppChange::Put(Box::new(crash))], T0);
    core.progress(now, T0);
    let offers = [offer("o1", "a1", "cpus:1;mem:1024;ports:[31000-31010]")];
    assert_eq!(core.match_offers(&offers, now, T0, &mut uuids()).launches.len(), 1);
    core.apply_status(&status("crash.u1", TaskState::TaskFailed), now, T0);
    core.progress(now, T0);

    // The replacement waits the longest delay there is, and everything still answers.
    let longest = crate::scheduling::LONGEST_DELAY;
    assert_eq!(core.queue(now, T0)[0].delay.time_left_seconds, i64::try_from(longest.as_secs()).unwrap());
    assert_eq!(core.next_backoff_deadline(now), Some(now + longest));
    let a_year_later = now + Duration::from_secs(365 * 24 * 3600);
    assert!(core.match_offers(&offers, a_year_later, T0, &mut uuids()).launches.is_empty());
    assert!(core.progress(a_year_later, T0).kills.is_empty());
}

#[test]
fn rolling_back_a_creation_removes_the_app_and_cancels_the_deployment() {
    let mut core = empty_core();
    let id = deploy(&mut core, vec![AppChange::Put(Box::new(app("/new", 2, T0)))], T0);
    let later = Timestamp::from_millis(T0.millis() + 1);
    let rollback = core.prepare_rollback(&id, later, "r-1".into()).unwrap();
    assert_eq!(rollback.cancelled, vec![id.clone()]);
    core.commit(rollback);
    assert!(core.app("/new").is_none());
    assert!(core.deployment(&id).is_none());
    core.progress(Instant::now(), later);
    assert!(core.deployment("r-1").is_none(), "nothing to stop: done at once");
}

#[test]
fn a_second_change_to_a_deploying_app_is_refused_unless_forced() {
    let mut core = empty_core();
    let first = deploy(&mut core, vec![AppChange::Put(Box::new(app("/web", 2, T0)))], T0);
    let later = Timestamp::from_millis(T0.millis() + 1);
    let refused =
        core.prepare(vec![AppChange::Put(Box::new(app("/web", 3, later)))], false, later, BTreeMap::new(), "d2".into());
    assert_eq!(refused.unwrap_err(), super::DeployError::Locked(vec![first.clone()]));
    let forced =
        core.prepare(vec![AppChange::Put(Box::new(app("/web", 3, later)))], true, later, BTreeMap::new(), "d2".into());
    assert_eq!(forced.unwrap().cancelled, vec![first]);
}

#[test]
fn a_task_marathon_does_not_know_is_killed() {
    let mut core = empty_core();
    let outcome = core.apply_status(&status("ghost.1", TaskState::TaskRunning), Instant::now(), T0);
    assert_eq!(outcome.kill_unknown, Some(("ghost.1".to_string(), "a1".to_string())));
}

#[test]
fn tasks_that_never_start_are_killed_and_kills_that_do_not_take_are_resent() {
    let mut core = empty_core();
    let now = Instant::now();
    deploy(&mut core, vec![AppChange::Put(Box::new(app("/slow", 1, T0)))], T0);
    core.progress(now, T0);
    core.match_offers(&[offer("o1", "a1", "cpus:1;mem:1024;ports:[31000-31010]")], now, T0, &mut uuids());
    let at = |seconds: i64| Timestamp::from_millis(T0.millis() + seconds * 1000);
    assert!(core.progress(now, at(299)).kills.is_empty(), "still within the launch timeout");
    assert_eq!(core.progress(now, at(300)).kills, vec![("slow.u1".to_string(), "a1".to_string())]);
    assert!(core.progress(now, at(305)).kills.is_empty(), "the kill is under way");
    assert_eq!(core.progress(now, at(310)).kills.len(), 1, "sent again");
}

/// A core whose app `/web` runs `instances` tasks on agent `a1`, its deployment finished.
fn running_web(core: &mut Core, instances: i32, now: Instant) {
    deploy(core, vec![AppChange::Put(Box::new(app("/web", instances, T0)))], T0);
    core.progress(now, T0);
    core.match_offers(&[offer("o1", "a1", "cpus:4;mem:1024;ports:[31000-31010]")], now, T0, &mut uuids());
    let ids: Vec<String> = core.all_tasks().map(|task| task.task_id.clone()).collect();
    for id in &ids {
        core.apply_status(&status(id, TaskState::TaskRunning), now, T0);
    }
    assert_eq!(core.progress(now, T0).finished.len(), 1);
}

const WAIT: Duration = Duration::from_secs(3);

#[test]
fn a_scale_down_kills_once_every_load_balancer_confirmed_the_drain() {
    let mut core = core_with_drain_wait(WAIT);
    let now = Instant::now();
    running_web(&mut core, 2, now);
    core.load_drains(BTreeSet::from(["lb-1".to_string(), "lb-2".to_string()]), BTreeMap::new());
    let later = Timestamp::from_millis(T0.millis() + 1);
    deploy(&mut core, vec![AppChange::Put(Box::new(app("/web", 1, later)))], later);

    let progress = core.progress(now, later);
    assert!(progress.kills.is_empty(), "announced first: {progress:?}");
    let [drain] = progress.drains.as_slice() else { panic!("one announcement: {progress:?}") };
    let victim = core.task(&drain.task_id).expect("a known task");
    assert_eq!((drain.app_id.as_str(), drain.host.as_str()), ("/web", "a1.local"));
    assert_eq!(drain.ports, victim.ports);
    let victim = drain.task_id.clone();
    core.drains_announced(std::slice::from_ref(&victim));

    let a_second_later = now + Duration::from_secs(1);
    let confirm = |lb: &str| DrainChange::Confirmed { task_id: victim.clone(), lb_id: lb.to_string() };
    assert!(core.apply_drain_change(confirm("lb-1")));
    assert!(core.progress(a_second_later, later).kills.is_empty(), "lb-2 has not confirmed");
    // An lb that leaves is not waited for.
    assert!(core.apply_drain_change(DrainChange::MemberLeft("lb-2".to_string())));
    let progress = core.progress(a_second_later, later);
    assert_eq!(progress.kills, vec![(victim.clone(), "a1".to_string())]);
    assert!(progress.drains.is_empty(), "announced once");

    // Once the task is gone its drain node is stale, and only then.
    assert!(core.take_stale_drains().is_empty());
    core.apply_status(&status(&victim, TaskState::TaskKilling), a_second_later, later);
    assert!(core.task(&victim).is_some(), "TASK_KILLING is not terminal");
    assert!(core.take_stale_drains().is_empty());
    core.apply_status(&status(&victim, TaskState::TaskKilled), a_second_later, later);
    assert_eq!(core.take_stale_drains(), vec![victim]);
    assert!(core.take_stale_drains().is_empty(), "taken once");
}

#[test]
fn without_confirmations_the_drain_wait_bounds_the_kill() {
    for (members, confirmed_at_once) in [(None, false), (Some(vec!["lb-1"]), false), (Some(vec![]), true)] {
        let mut core = core_with_drain_wait(WAIT);
        let now = Instant::now();
        running_web(&mut core, 1, now);
        if let Some(members) = &members {
            core.load_drains(members.iter().map(|lb| lb.to_string()).collect(), BTreeMap::new());
        }
        let later = Timestamp::from_millis(T0.millis() + 1);
        deploy(&mut core, vec![AppChange::Put(Box::new(app("/web", 0, later)))], later);
        let progress = core.progress(now, later);
        assert!(progress.kills.is_empty());
        assert_eq!(progress.wake_at, Some(now + WAIT));
        let victim = progress.drains[0].task_id.clone();
        core.drains_announced(std::slice::from_ref(&victim));
        // With no lb registered the announcement is confirmed as soon as it is stored; before the
        // members were read, or with an lb that stays silent, the kill waits for the drain wait.
        let kills = core.progress(now, later).kills.len();
        assert_eq!(kills == 1, confirmed_at_once, "members {members:?}");
        if !confirmed_at_once {
            assert!(core.progress(now + WAIT - Duration::from_millis(1), later).kills.is_empty());
            assert_eq!(core.progress(now + WAIT, later).kills.len(), 1, "members {members:?}");
        }
    }
}

#[test]
fn a_new_leader_resumes_the_drains_it_finds_and_drops_those_of_unknown_tasks() {
    let mut core = core_with_drain_wait(WAIT);
    let now = Instant::now();
    running_web(&mut core, 1, now);
    let unknown = core.resume_drains(&["web.u1".to_string(), "gone.1".to_string()], now);
    assert_eq!(unknown, vec!["gone.1".to_string()]);
    let progress = core.progress(now, T0);
    assert!(progress.kills.is_empty() && progress.drains.is_empty(), "announced already: {progress:?}");
    assert!(core.wants_offers(), "a replacement is launched meanwhile");
    assert_eq!(core.progress(now + WAIT, T0).kills, vec![("web.u1".to_string(), "a1".to_string())]);
}
