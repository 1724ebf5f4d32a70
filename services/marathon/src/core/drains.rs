//! Drain before kill as the leader sees it (`DrainBoard`): which load balancers are registered,
//! which tasks were announced (their drain node exists) and which lbs confirmed each. The engine
//! feeds it what it reads and watches in the coordinator (`change_of` turns a watch event into a
//! `DrainChange`); the runner's steps read `is_confirmed` through `InFlight::confirmed`. No IO,
//! no clock. The znodes are `corral_wire::lb`'s.
//!
//! The rule: an announced task is confirmed once every lb registered now has confirmed it; with no
//! lb registered, at once. An lb whose member node is gone (its session ended) is not waited for;
//! one that joins must confirm too. Until the members were read once, nothing is confirmed, so a
//! new leader never kills early for lack of knowing its lbs: the drain wait bounds the kill.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use corral_wire::coordinator::{EventKind, WatchEvent};
use corral_wire::lb::{DrainNode, DrainPaths};
use corral_wire::marathon::AppDefinition;

use super::{AppRuntime, Core};

/// One change the coordinator reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainChange {
    MemberJoined(String),
    MemberLeft(String),
    /// A drain node was created.
    Announced(String),
    /// A drain node was deleted: the drain is over.
    Withdrawn(String),
    Confirmed {
        task_id: String,
        lb_id: String,
    },
    Unconfirmed {
        task_id: String,
        lb_id: String,
    },
}

/// The change a watch event on the drain protocol's znodes stands for; `None` for the rest.
pub fn change_of(paths: &DrainPaths, event: &WatchEvent) -> Option<DrainChange> {
    let created = match event.kind {
        EventKind::Created => true,
        EventKind::Deleted => false,
        EventKind::DataChanged | EventKind::ChildrenChanged => return None,
    };
    Some(match (paths.classify(&event.path)?, created) {
        (DrainNode::Member { lb_id }, true) => DrainChange::MemberJoined(lb_id),
        (DrainNode::Member { lb_id }, false) => DrainChange::MemberLeft(lb_id),
        (DrainNode::Drain { task_id }, true) => DrainChange::Announced(task_id),
        (DrainNode::Drain { task_id }, false) => DrainChange::Withdrawn(task_id),
        (DrainNode::Confirmation { task_id, lb_id }, true) => DrainChange::Confirmed { task_id, lb_id },
        (DrainNode::Confirmation { task_id, lb_id }, false) => DrainChange::Unconfirmed { task_id, lb_id },
    })
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DrainBoard {
    /// The lbs registered now; `None` until they were read once.
    members: Option<BTreeSet<String>>,
    /// Each announced task with the lbs that confirmed it.
    announced: BTreeMap<String, BTreeSet<String>>,
}

impl DrainBoard {
    /// Replaces everything with what was read: the members, and each drain node with its
    /// confirmations.
    pub fn load(&mut self, members: BTreeSet<String>, announced: BTreeMap<String, BTreeSet<String>>) {
        self.members = Some(members);
        self.announced = announced;
    }

    /// Applies one change; true when it changed anything. A member change before the first
    /// `load` is left to it.
    pub fn apply(&mut self, change: DrainChange) -> bool {
        match change {
            DrainChange::MemberJoined(lb_id) => self.members.as_mut().is_some_and(|members| members.insert(lb_id)),
            DrainChange::MemberLeft(lb_id) => self.members.as_mut().is_some_and(|members| members.remove(&lb_id)),
            DrainChange::Announced(task_id) if self.announced.contains_key(&task_id) => false,
            DrainChange::Announced(task_id) => self.announced.insert(task_id, BTreeSet::new()).is_none(),
            DrainChange::Withdrawn(task_id) => self.announced.remove(&task_id).is_some(),
            // A confirmation is a child of the drain node: the task was announced.
            DrainChange::Confirmed { task_id, lb_id } => self.announced.entry(task_id).or_default().insert(lb_id),
            DrainChange::Unconfirmed { task_id, lb_id } => {
                self.announced.get_mut(&task_id).is_some_and(|confirmed| confirmed.remove(&lb_id))
            }
        }
    }

    /// Whether the task was announced and every registered lb confirmed it.
    pub fn is_confirmed(&self, task_id: &str) -> bool {
        match (&self.members, self.announced.get(task_id)) {
            (Some(members), Some(confirmed)) => members.is_subset(confirmed),
            _ => false,
        }
    }
}

impl Core {
    /// What the engine read of the members and drain nodes (at start, and after a watch reset).
    pub fn load_drains(&mut self, members: BTreeSet<String>, announced: BTreeMap<String, BTreeSet<String>>) {
        self.drains.load(members, announced);
    }

    /// One change the engine's watch saw; true when it changed anything (the runner looks again).
    pub fn apply_drain_change(&mut self, change: DrainChange) -> bool {
        self.drains.apply(change)
    }

    /// The runner stored these drain nodes (so the board need not wait for the watch to see them).
    pub fn drains_announced(&mut self, task_ids: &[String]) {
        for task_id in task_ids {
            self.drains.apply(DrainChange::Announced(task_id.clone()));
        }
    }

    /// The drain nodes of tasks that are gone (ended, or never known to this leader): taken off
    /// the board, for the engine to delete. One whose deletion fails is put back with
    /// `drains_announced`, so it is tried again.
    pub fn take_stale_drains(&mut self) -> Vec<String> {
        let stale: Vec<String> =
            self.drains.announced.keys().filter(|task_id| self.task(task_id).is_none()).cloned().collect();
        for task_id in &stale {
            self.drains.announced.remove(task_id);
        }
        stale
    }

    /// On taking office: tasks whose drain node an earlier leader wrote were condemned, so they
    /// are announced again from `now` (killed on confirmation or after the drain wait). Answers
    /// the drain nodes of tasks this leader does not know, to delete.
    pub fn resume_drains(&mut self, task_ids: &[String], now: Instant) -> Vec<String> {
        let mut unknown = Vec::new();
        for task_id in task_ids {
            let Some(app_id) = self.task_apps.get(task_id).cloned() else {
                unknown.push(task_id.clone());
                continue;
            };
            let runtime = match self.apps.get(&app_id) {
                Some(app) => self.runtimes.entry(app_id).or_insert_with(|| AppRuntime::new(app)),
                None => {
                    self.runtimes.entry(app_id.clone()).or_insert_with(|| AppRuntime::new(&AppDefinition::new(&app_id)))
                }
            };
            runtime.in_flight.draining.insert(task_id.clone(), now);
        }
        unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Plays `script` on an empty board, steps separated by `;`: `load a,b with t=a u=` (members,
    /// then drain nodes with their confirmations), `join a`, `leave a`, `announce t`,
    /// `withdraw t`, `confirm t a`, `unconfirm t a`. Answers which of `tasks` are confirmed.
    fn confirmed(script: &str, tasks: &[&str]) -> Vec<String> {
        let mut board = DrainBoard::default();
        let list = |names: &str| -> BTreeSet<String> {
            names.split(',').filter(|name| !name.is_empty()).map(str::to_string).collect()
        };
        for step in script.split(';').map(str::trim).filter(|step| !step.is_empty()) {
            let words: Vec<&str> = step.split_whitespace().collect();
            let change = match words.as_slice() {
                ["load", rest @ ..] => {
                    let (members, drains) = match rest {
                        ["with", drains @ ..] => ("", drains),
                        [members, "with", drains @ ..] => (*members, drains),
                        [members] => (*members, &[][..]),
                        _ => ("", &[][..]),
                    };
                    let drains = drains
                        .iter()
                        .map(|drain| drain.split_once('=').expect("task=lbs"))
                        .map(|(task, lbs)| (task.to_string(), list(lbs)))
                        .collect();
                    board.load(list(members), drains);
                    continue;
                }
                ["join", lb] => DrainChange::MemberJoined(lb.to_string()),
                ["leave", lb] => DrainChange::MemberLeft(lb.to_string()),
                ["announce", task] => DrainChange::Announced(task.to_string()),
                ["withdraw", task] => DrainChange::Withdrawn(task.to_string()),
                ["confirm", task, lb] => DrainChange::Confirmed { task_id: task.to_string(), lb_id: lb.to_string() },
                ["unconfirm", task, lb] => {
                    DrainChange::Unconfirmed { task_id: task.to_string(), lb_id: lb.to_string() }
                }
                _ => panic!("unknown step {step}"),
            };
            board.apply(change);
        }
        tasks.iter().filter(|task| board.is_confirmed(task)).map(|task| task.to_string()).collect()
    }

    #[test]
    fn a_drain_is_confirmed_once_every_registered_lb_confirmed_it() {
        let check = |script: &str, expected: &[&str]| {
            assert_eq!(confirmed(script, &["t", "u"]), expected, "{script}");
        };
        // Before the members were read, nothing is confirmed, even with no lb at all.
        check("announce t", &[]);
        check("join a; announce t; confirm t a", &[]);
        // With no lb registered, an announcement is confirmed at once; a task never announced is not.
        check("load; announce t", &["t"]);
        check("load with t=", &["t"]);
        // Every registered lb must confirm.
        check("load a; announce t", &[]);
        check("load a; announce t; confirm t a", &["t"]);
        check("load a,b; announce t; announce u; confirm t a; confirm u a; confirm u b", &["u"]);
        check("load a,b with t=a u=a,b", &["u"]);
        // An lb that left is not waited for; one that joined must confirm too.
        check("load a,b; announce t; confirm t a; leave b", &["t"]);
        check("load a; announce t; confirm t a; join b", &[]);
        check("load a; announce t; confirm t a; join b; confirm t b", &["t"]);
        // Confirmations of lbs that are not registered do not count for those that are.
        check("load a; announce t; confirm t x", &[]);
        // A confirmation comes under the drain node: it implies the announcement.
        check("load a; confirm t a", &["t"]);
        // The drain node is gone: the drain is over.
        check("load a; announce t; confirm t a; withdraw t", &[]);
        check("load a; announce t; confirm t a; unconfirm t a", &[]);
        // A reload is the truth: what was seen before is replaced.
        check("load; announce t; load a with u=a", &["u"]);
        // Repeated events (a watch resumed from an earlier zxid) change nothing.
        check("load a; announce t; confirm t a; announce t; join a", &["t"]);
    }

    #[test]
    fn watch_events_on_the_protocol_znodes_are_changes() {
        let paths = DrainPaths::new("/m", "/lb");
        let check = |path: &str, kind: EventKind, expected: Option<DrainChange>| {
            let event = WatchEvent { zxid: 1, path: path.to_string(), kind };
            assert_eq!(change_of(&paths, &event), expected, "{path} {kind:?}");
        };
        let (lb, task) = (|| "a".to_string(), || "t".to_string());
        check("/lb/members/a", EventKind::Created, Some(DrainChange::MemberJoined(lb())));
        check("/lb/members/a", EventKind::Deleted, Some(DrainChange::MemberLeft(lb())));
        check("/m/drains/t", EventKind::Created, Some(DrainChange::Announced(task())));
        check("/m/drains/t", EventKind::Deleted, Some(DrainChange::Withdrawn(task())));
        check("/m/drains/t/a", EventKind::Created, Some(DrainChange::Confirmed { task_id: task(), lb_id: lb() }));
        check("/m/drains/t/a", EventKind::Deleted, Some(DrainChange::Unconfirmed { task_id: task(), lb_id: lb() }));
        check("/m/drains/t", EventKind::ChildrenChanged, None);
        check("/lb/members/a", EventKind::DataChanged, None);
        check("/lb/members", EventKind::Created, None);
        check("/m/tasks/t", EventKind::Created, None);
    }

    #[test]
    fn a_change_says_whether_it_changed_anything() {
        let mut board = DrainBoard::default();
        assert!(!board.apply(DrainChange::MemberJoined("a".into())), "members not read yet");
        board.load(BTreeSet::new(), BTreeMap::new());
        assert!(board.apply(DrainChange::MemberJoined("a".into())));
        assert!(!board.apply(DrainChange::MemberJoined("a".into())));
        assert!(board.apply(DrainChange::Announced("t".into())));
        assert!(!board.apply(DrainChange::Announced("t".into())));
        assert!(board.apply(DrainChange::Confirmed { task_id: "t".into(), lb_id: "a".into() }));
        assert!(board.apply(DrainChange::Withdrawn("t".into())));
        assert!(!board.apply(DrainChange::Withdrawn("t".into())));
    }
}
