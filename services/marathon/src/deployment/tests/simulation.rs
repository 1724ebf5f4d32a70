//! Whole deployments against a simulated app, one tick per second: launches wait a little in the
//! queue, tasks take a few ticks to run and to pass their health checks (or never do), kills take
//! a tick or two, starting tasks may crash, and a load balancer may confirm announced drains.
//! Every tick the step runs and the harness checks:
//! - running tasks are killed only once announced, and after the drain wait or the load
//!   balancer's confirmation;
//! - during a restart, tasks the load balancer may route to (healthy, not on their way out) never
//!   drop below `minHealthy` (or below what there was at the start, if that was less);
//! - during a restart, tasks plus queued launches stay within `maxCapacity` (or the start's count);
//! - a complete step leaves exactly what it should.
//!
//! Randomness comes from a seeded splitmix64, so every failure replays.

use std::collections::BTreeSet;

use super::*;

const TICK: Duration = Duration::from_secs(1);
const WAIT: Duration = Duration::from_secs(2);

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }

    fn chance(&mut self, probability: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= probability
    }
}

/// How the simulated tasks behave.
struct Behaviour {
    has_health_checks: bool,
    /// Tasks of these versions never pass their health checks.
    never_healthy: BTreeSet<Version>,
    /// Per tick, for a task not healthy yet.
    crash_chance: f64,
    /// Per tick, for an announced task the load balancer has not confirmed yet (0: no load
    /// balancer confirms, so announced tasks wait out the drain).
    confirm_chance: f64,
}

struct SimTask {
    view: TaskView,
    /// Ticks until the next change: running, healthy, or gone once killing.
    ticks_left: u64,
}

struct Cluster {
    rng: Rng,
    behaviour: Behaviour,
    tasks: Vec<SimTask>,
    in_flight: InFlight,
    /// Announced tasks the load balancer confirmed.
    confirmations: BTreeSet<TaskId>,
    /// Running tasks killed on a confirmation before their drain wait was over.
    early_kills: u32,
    /// The version queued launches are for: the runner drops them when the action changes version.
    queued_version: Version,
    now: Instant,
    next_id: u32,
}

#[derive(Debug, PartialEq)]
enum Outcome {
    Complete,
    Stuck,
}

impl Cluster {
    /// `running` tasks of `version`, all started and healthy (if their version ever is).
    fn new(seed: u64, behaviour: Behaviour, version: &str, running: u32) -> Cluster {
        let mut cluster = Cluster {
            rng: Rng(seed),
            behaviour,
            tasks: Vec::new(),
            in_flight: InFlight::default(),
            confirmations: BTreeSet::new(),
            early_kills: 0,
            queued_version: version.to_string(),
            now: Instant::now(),
            next_id: 0,
        };
        for _ in 0..running {
            cluster.stage(version);
            let task = cluster.tasks.last_mut().unwrap();
            task.view.state = TaskState::Running;
            task.view.started_at = Some(task.view.staged_at);
            let healthy = !cluster.behaviour.never_healthy.contains(version);
            task.view.healthy = cluster.behaviour.has_health_checks.then_some(healthy);
        }
        cluster
    }

    fn views(&self) -> Vec<TaskView> {
        self.tasks.iter().map(|task| task.view.clone()).collect()
    }

    fn stage(&mut self, version: &str) {
        self.next_id += 1;
        let staged_at = seconds_since_epoch(self.next_id.into());
        let view = TaskView {
            id: format!("t{}", self.next_id),
            version: version.to_string(),
            state: TaskState::Staging,
            healthy: self.behaviour.has_health_checks.then_some(false),
            staged_at,
            started_at: None,
        };
        let ticks_left = 1 + self.rng.below(3);
        self.tasks.push(SimTask { view, ticks_left });
    }

    /// One tick of the world: queued launches become tasks, tasks move on, kills land, the load
    /// balancer confirms drains.
    fn tick(&mut self, launch_version: &str) {
        for _ in 0..self.in_flight.queued_launches {
            if self.rng.chance(0.6) {
                self.in_flight.queued_launches -= 1;
                self.stage(launch_version);
            }
        }
        let Cluster { rng, behaviour, tasks, in_flight, .. } = self;
        tasks.retain_mut(|task| {
            let view = &mut task.view;
            task.ticks_left = task.ticks_left.saturating_sub(1);
            if view.state != TaskState::Killing && in_flight.kills_sent.contains(&view.id) {
                view.state = TaskState::Killing;
                task.ticks_left = 1 + rng.below(2);
                return true;
            }
            let starting = !view.is_healthy();
            if view.state != TaskState::Killing && starting && rng.chance(behaviour.crash_chance) {
                return false;
            }
            match view.state {
                TaskState::Killing => task.ticks_left > 0,
                TaskState::Staging if task.ticks_left == 0 => {
                    view.state = TaskState::Running;
                    view.started_at = Some(view.staged_at + Duration::from_secs(1));
                    task.ticks_left = 1 + rng.below(4);
                    true
                }
                TaskState::Running if view.healthy == Some(false) && task.ticks_left == 0 => {
                    view.healthy = Some(!behaviour.never_healthy.contains(&view.version));
                    true
                }
                _ => true,
            }
        });
        let views = self.views();
        self.in_flight.forget_gone(&views);
        for id in self.in_flight.draining.keys() {
            if !self.confirmations.contains(id) && self.rng.chance(self.behaviour.confirm_chance) {
                self.confirmations.insert(id.clone());
            }
        }
        let confirmations = &self.confirmations;
        self.in_flight.mark_confirmed(|id| confirmations.contains(id));
        self.now += TICK;
    }

    /// Tasks the load balancer may route to.
    fn routable(&self) -> u32 {
        let views = self.views();
        tasks::count(views.iter().filter(|task| task.is_healthy() && !self.in_flight.is_leaving(task)))
    }

    /// Runs `action` for up to `max_ticks`, checking the invariants every tick.
    fn run(&mut self, action: &DeploymentAction, max_ticks: u32) -> Outcome {
        let app = action.app();
        if self.queued_version != app.version {
            self.in_flight.queued_launches = 0;
            self.queued_version = app.version.clone();
        }
        let restart = matches!(action, DeploymentAction::RestartApplication { .. });
        let bounds = RestartBounds::new(app.instances, app.upgrade_strategy);
        let healthy_floor = bounds.min_healthy.min(self.routable());
        let capacity = bounds.max_capacity.max(tasks::count(&self.tasks) + self.in_flight.queued_launches);
        for _ in 0..max_ticks {
            self.tick(&app.version);
            let views = self.views();
            let input = StepInput { tasks: &views, in_flight: &self.in_flight, now: self.now, drain_wait: WAIT };
            let orders = advance(action, &input);
            self.check_kills(&orders, &views);
            if orders.complete {
                assert_eq!(orders, Orders::completed());
                self.check_result(action);
                return Outcome::Complete;
            }
            self.in_flight.record(&orders, self.now);
            if restart {
                let routable = self.routable();
                assert!(routable >= healthy_floor, "{routable} routable, {healthy_floor} needed: {}", self.describe());
                let used = tasks::count(&self.tasks) + self.in_flight.queued_launches;
                assert!(used <= capacity, "{used} tasks and launches over {capacity}: {}", self.describe());
            }
        }
        Outcome::Stuck
    }

    fn check_kills(&mut self, orders: &Orders, views: &[TaskView]) {
        for id in &orders.kill {
            let task = views.iter().find(|task| &task.id == id).expect("killing a task that exists");
            let drained = self.in_flight.draining.get(id).is_some_and(|since| {
                *since + WAIT <= self.now || (self.in_flight.confirmed.contains(id) && self.confirmations.contains(id))
            });
            match task.state {
                TaskState::Staging => {}
                TaskState::Running => {
                    assert!(drained, "{id} killed before its drain wait or confirmation: {}", self.describe());
                    let waited = self.in_flight.draining.get(id).is_some_and(|since| *since + WAIT <= self.now);
                    self.early_kills += u32::from(!waited);
                }
                TaskState::Killing => panic!("{id} killed twice"),
            }
        }
    }

    fn check_result(&self, action: &DeploymentAction) {
        let app = action.app();
        let wanted = match action {
            DeploymentAction::StopApplication { .. } => 0,
            DeploymentAction::StartApplication { .. } => return,
            _ => app.instances,
        };
        assert_eq!(tasks::count(&self.tasks), wanted, "{}", self.describe());
        assert_eq!(self.in_flight.queued_launches, 0);
        let of_version = self.tasks.iter().filter(|task| task.view.version == app.version);
        assert!(of_version.clone().all(|task| task.view.is_healthy()), "{}", self.describe());
        if matches!(action, DeploymentAction::RestartApplication { .. }) {
            assert_eq!(tasks::count(of_version), wanted, "{}", self.describe());
        }
    }

    fn describe(&self) -> String {
        let tasks: Vec<String> = self
            .tasks
            .iter()
            .map(|task| {
                let view = &task.view;
                let leaving = if self.in_flight.is_leaving(view) { " leaving" } else { "" };
                format!("{}@{} {:?} {:?}{leaving}", view.id, view.version, view.state, view.healthy)
            })
            .collect();
        format!("[{}] queued {}", tasks.join(", "), self.in_flight.queued_launches)
    }
}

fn restart(instances: u32, min: f64, over: f64, has_health_checks: bool) -> DeploymentAction {
    let mut app = app(&format!("/a v=2 cfg=b n={instances} min={min} over={over}"));
    app.has_health_checks = has_health_checks;
    DeploymentAction::RestartApplication { app }
}

fn behaviour(has_health_checks: bool, crash_chance: f64, never_healthy: &[&str], confirm_chance: f64) -> Behaviour {
    let never_healthy = never_healthy.iter().map(|v| v.to_string()).collect();
    Behaviour { has_health_checks, crash_chance, never_healthy, confirm_chance }
}

/// Half the runs with a load balancer that confirms drains, half without one that does.
fn confirm_chance(seed: u64) -> f64 {
    match seed % 2 {
        0 => 0.0,
        _ => 0.5,
    }
}

/// `(instances, minimumHealthCapacity, maximumOverCapacity)` worth naming.
const STRATEGIES: &[(u32, f64, f64)] = &[
    (1, 0.0, 0.0),
    (1, 1.0, 0.0),
    (3, 0.0, 0.0),
    (3, 1.0, 0.0),
    (4, 0.5, 0.5),
    (3, 1.0, 1.0),
    (1, 1.0, 1.0),
    (5, 0.6, 0.2),
    (2, 0.5, 0.0),
    (10, 0.9, 0.1),
    (7, 0.3, 0.0),
];

#[test]
fn rolling_restarts_finish_within_their_bounds() {
    for &(instances, min, over) in STRATEGIES {
        for seed in 0..12 {
            for has_health_checks in [true, false] {
                let behaviour = behaviour(has_health_checks, 0.05, &[], confirm_chance(seed));
                let mut cluster = Cluster::new(seed, behaviour, "1", instances);
                let outcome = cluster.run(&restart(instances, min, over, has_health_checks), 2_000);
                assert_eq!(outcome, Outcome::Complete, "{instances} × {min}/{over}, seed {seed}");
            }
        }
    }
}

#[test]
fn random_rolling_restarts_finish_within_their_bounds() {
    let mut rng = Rng(7);
    for seed in 0..150 {
        let (running, instances) = (rng.below(9) as u32, 1 + rng.below(8) as u32);
        let (min, over) = (rng.below(11) as f64 / 10.0, rng.below(11) as f64 / 10.0);
        let mut cluster = Cluster::new(seed, behaviour(true, 0.1, &[], confirm_chance(seed)), "1", running);
        let outcome = cluster.run(&restart(instances, min, over, true), 3_000);
        assert_eq!(outcome, Outcome::Complete, "{running} → {instances} × {min}/{over}, seed {seed}");
    }
}

#[test]
fn a_restart_that_cannot_progress_stays_within_its_bounds() {
    for &(instances, min, over) in STRATEGIES {
        for seed in 0..4 {
            let mut cluster = Cluster::new(seed, behaviour(true, 0.02, &["2"], confirm_chance(seed)), "1", instances);
            let outcome = cluster.run(&restart(instances, min, over, true), 300);
            assert_eq!(outcome, Outcome::Stuck, "{instances} × {min}/{over}, seed {seed}");
            let new = cluster.tasks.iter().filter(|task| task.view.version == "2").count();
            assert!(new as u32 <= instances, "{}", cluster.describe());
        }
    }
}

#[test]
fn scaling_up_and_down_settles_and_follows_the_kill_selection() {
    let scale = |notation: &str| DeploymentAction::ScaleApplication { app: app(notation), sentenced: Vec::new() };
    let mut early_kills = [0, 0];
    for seed in 0..20 {
        for kill in ["kill=youngest", "kill=oldest"] {
            let mut cluster = Cluster::new(seed, behaviour(true, 0.1, &[], confirm_chance(seed)), "1", 0);
            assert_eq!(cluster.run(&scale(&format!("/a n=5 hc {kill}")), 500), Outcome::Complete);
            let before = cluster.views();
            assert_eq!(cluster.run(&scale(&format!("/a n=2 v=2 hc {kill}")), 500), Outcome::Complete);
            let kept: BTreeSet<TaskId> = cluster.views().into_iter().map(|task| task.id).collect();
            let (survivors, victims): (Vec<&TaskView>, Vec<&TaskView>) =
                before.iter().partition(|task| kept.contains(&task.id));
            let latest_survivor = survivors.iter().map(|task| task.started_at).max().unwrap();
            let earliest_survivor = survivors.iter().map(|task| task.started_at).min().unwrap();
            for victim in victims {
                match kill {
                    "kill=youngest" => assert!(victim.started_at >= latest_survivor, "{}", cluster.describe()),
                    _ => assert!(victim.started_at <= earliest_survivor, "{}", cluster.describe()),
                }
            }
            let stop = DeploymentAction::StopApplication { app: app("/a") };
            assert_eq!(cluster.run(&stop, 500), Outcome::Complete);
            early_kills[(seed % 2) as usize] += cluster.early_kills;
        }
    }
    // Without confirmations every drain is waited out; with them, some kills come sooner.
    assert_eq!(early_kills[0], 0);
    assert!(early_kills[1] > 0, "no confirmation ever cut a drain short");
}

/// A plan's actions run one after the other, as the runner will run them (one app per plan here).
fn run_plan(cluster: &mut Cluster, plan: &DeploymentPlan, max_ticks: u32) -> Outcome {
    for action in plan.steps.iter().flat_map(|step| &step.actions) {
        if cluster.run(action, max_ticks) == Outcome::Stuck {
            return Outcome::Stuck;
        }
    }
    Outcome::Complete
}

#[test]
fn a_stuck_restart_rolls_back_keeping_the_old_tasks_it_has() {
    for seed in 0..20 {
        let v1 = apps(&["/a n=4 min=0.5 over=0 hc"]);
        let v2 = apps(&["/a n=4 min=0.5 over=0 hc cfg=b v=2"]);
        let mut cluster = Cluster::new(seed, behaviour(true, 0.05, &["2"], confirm_chance(seed)), "1", 0);
        assert_eq!(run_plan(&mut cluster, &plan_between(&[], &v1), 500), Outcome::Complete);
        let upgrade = plan_between(&v1, &v2);
        assert_eq!(run_plan(&mut cluster, &upgrade, 200), Outcome::Stuck);
        let old_before: BTreeSet<TaskId> = cluster
            .views()
            .into_iter()
            .filter(|task| task.version == "1" && !cluster.in_flight.is_leaving(task))
            .map(|task| task.id)
            .collect();
        assert_eq!(old_before.len(), 2, "{}", cluster.describe());

        let rollback = rollback_plan(&upgrade, &v2, "3".to_string(), || "d2".to_string()).unwrap();
        assert_eq!(run_plan(&mut cluster, &rollback, 500), Outcome::Complete);
        let old_after: BTreeSet<TaskId> = cluster.views().into_iter().map(|task| task.id).collect();
        assert!(old_before.is_subset(&old_after), "the old tasks were kept: {old_before:?} in {old_after:?}");

        let stop = plan_between(&v1, &[]);
        assert_eq!(run_plan(&mut cluster, &stop, 500), Outcome::Complete);
        assert!(cluster.tasks.is_empty());
    }
}
