//! Which tasks to kill when an app scales down.
//!
//! Marathon (`ScalingProposition`, `Constraints.selectInstancesToKill`) first kills tasks that
//! even out the app's GROUP_BY constraints: from the largest groups, while the groups differ in
//! size. Otherwise, and among those, the ranking is: unreachable, then staging, then starting,
//! then running tasks; between two tasks of the same rank, `killSelection` decides by time
//! (staging and starting tasks by when they were staged, running ones by when they started; a
//! running task without a start time goes first). Marathon's comment on that ranking puts
//! unhealthy tasks after unreachable and before staging, a step its code leaves as a TODO; Corral
//! takes it: a running task whose health checks fail ranks there. Ties go by task id.

use std::cmp::Ordering;
use std::collections::HashMap;

use super::constraint::{Constraint, Operator};
use super::placements::Placement;

/// An app's `killSelection`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KillSelection {
    #[default]
    YoungestFirst,
    OldestFirst,
}

impl KillSelection {
    /// `YOUNGEST_FIRST` or `OLDEST_FIRST`.
    pub fn parse(text: &str) -> Option<KillSelection> {
        match text {
            "YOUNGEST_FIRST" => Some(KillSelection::YoungestFirst),
            "OLDEST_FIRST" => Some(KillSelection::OldestFirst),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            KillSelection::YoungestFirst => "YOUNGEST_FIRST",
            KillSelection::OldestFirst => "OLDEST_FIRST",
        }
    }

    /// Whether a task from time `a` goes before one from time `b`.
    fn order(self, a: u64, b: u64) -> Ordering {
        match self {
            KillSelection::YoungestFirst => b.cmp(&a),
            KillSelection::OldestFirst => a.cmp(&b),
        }
    }
}

/// Where a task is in its life, as far as scaling down cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskPhase {
    /// Lost or unreachable: its agent is gone for now.
    Unreachable,
    Staging,
    Starting,
    Running,
}

/// One task that could be killed. Times are milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq)]
pub struct KillCandidate {
    pub task_id: String,
    pub phase: TaskPhase,
    /// The health checks' verdict; `None` without health checks or before the first result.
    pub healthy: Option<bool>,
    pub staged_at_ms: u64,
    pub started_at_ms: Option<u64>,
    pub placement: Placement,
}

impl KillCandidate {
    /// Lower ranks are killed first.
    fn rank(&self) -> u8 {
        match (self.phase, self.healthy) {
            (TaskPhase::Unreachable, _) => 0,
            (TaskPhase::Running, Some(false)) => 1,
            (TaskPhase::Staging, _) => 2,
            (TaskPhase::Starting, _) => 3,
            (TaskPhase::Running, _) => 4,
        }
    }

    /// The time `killSelection` compares.
    fn time(&self) -> Option<u64> {
        match self.phase {
            TaskPhase::Staging | TaskPhase::Starting => Some(self.staged_at_ms),
            TaskPhase::Unreachable | TaskPhase::Running => self.started_at_ms,
        }
    }
}

/// The order to kill `candidates` in, by the rules above.
fn ranking(a: &KillCandidate, b: &KillCandidate, selection: KillSelection) -> Ordering {
    a.rank()
        .cmp(&b.rank())
        .then_with(|| match (a.time(), b.time()) {
            (Some(x), Some(y)) => selection.order(x, y),
            (x, y) => x.is_some().cmp(&y.is_some()),
        })
        .then_with(|| a.task_id.cmp(&b.task_id))
}

/// Chooses `count` of `candidates` to kill (all of them if there are fewer), given the app's
/// constraints; returns their indices in `candidates`, in the order to kill them.
pub fn choose_tasks_to_kill(
    candidates: &[KillCandidate],
    count: usize,
    selection: KillSelection,
    constraints: &[Constraint],
) -> Vec<usize> {
    let mut ranked: Vec<usize> = (0..candidates.len()).collect();
    ranked.sort_by(|&a, &b| ranking(&candidates[a], &candidates[b], selection));
    let mut spreads: Vec<GroupSpread> = constraints
        .iter()
        .filter(|constraint| matches!(constraint.operator(), Operator::GroupBy { .. }))
        .map(|constraint| GroupSpread::new(constraint, candidates))
        .collect();
    if spreads.is_empty() {
        ranked.truncate(count);
        return ranked;
    }
    let mut alive = vec![true; candidates.len()];
    let mut chosen = Vec::with_capacity(count.min(candidates.len()));
    while chosen.len() < count.min(candidates.len()) {
        let evens_out = |i: &usize| spreads.iter().all(|spread| spread.in_a_largest_group(*i));
        let pick = ranked
            .iter()
            .copied()
            .find(|i| alive[*i] && evens_out(i))
            .or_else(|| ranked.iter().copied().find(|i| alive[*i]));
        let Some(pick) = pick else { break };
        alive[pick] = false;
        for spread in &mut spreads {
            spread.remove(pick);
        }
        chosen.push(pick);
    }
    chosen
}

/// How the surviving candidates are spread over the groups of one GROUP_BY constraint. Groups
/// are those of the candidates at the start; a group emptied by kills stays, with size 0, as in
/// Marathon.
struct GroupSpread {
    /// The group of each candidate.
    group_of: Vec<usize>,
    sizes: Vec<usize>,
    largest: usize,
    even: bool,
}

impl GroupSpread {
    fn new(constraint: &Constraint, candidates: &[KillCandidate]) -> GroupSpread {
        let mut groups: HashMap<Option<String>, usize> = HashMap::new();
        let mut sizes = Vec::new();
        let mut group_of = Vec::with_capacity(candidates.len());
        for candidate in candidates {
            let value = candidate.placement.value_of(constraint.field()).map(|value| value.into_owned());
            let group = *groups.entry(value).or_insert_with(|| {
                sizes.push(0);
                sizes.len() - 1
            });
            sizes[group] += 1;
            group_of.push(group);
        }
        let mut spread = GroupSpread { group_of, sizes, largest: 0, even: true };
        spread.measure();
        spread
    }

    /// Whether killing this candidate evens the groups out: they differ in size and it is in a
    /// largest one; or they are even already, and any candidate will do.
    fn in_a_largest_group(&self, candidate: usize) -> bool {
        self.even || self.sizes[self.group_of[candidate]] == self.largest
    }

    fn remove(&mut self, candidate: usize) {
        self.sizes[self.group_of[candidate]] -= 1;
        self.measure();
    }

    fn measure(&mut self) {
        self.largest = self.sizes.iter().copied().max().unwrap_or(0);
        self.even = self.sizes.iter().all(|size| *size == self.largest);
    }
}
