//! A linearizability checker for histories recorded against a real system (Jepsen-style): given
//! every operation's invocation and completion times and what it returned, is there one order of
//! the operations that respects real time (an operation that completed before another was invoked
//! comes first) and in which a sequential [`Model`] gives every answer that was observed?
//!
//! The search is Wing & Gong's with Lowe's memoization, as Porcupine does it: walk the
//! time-ordered list of call and return events, linearize the first pending call that the model
//! accepts, backtrack when a return is reached before its call was linearized, and never explore
//! the same (set of linearized operations, model state) twice. Histories are checked one
//! partition at a time (one key of a key-value store, say): linearizability is compositional, so
//! a small search per key replaces a huge one over all of them.
//!
//! An operation whose outcome is unknown (a timeout, a lost answer) may have happened at any time
//! after its invocation, or never: it completes at infinity with an answer that matches anything.
//! Placing it after everything else is the same as it never happening, so the search tries such
//! operations only when nothing else explains what follows. Operations that surely did not happen
//! (refused before they were applied) belong out of the history altogether. Unknown operations
//! with equal inputs are interchangeable, so the search takes them in the order they were invoked
//! (see [`hide_unread_values`] for making more of them equal), and never where they would
//! change nothing (placing them last does the same).
//!
//! Pure: no IO, and no clock but the one that enforces the search budget.

mod register;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt::Debug;
use std::hash::Hash;
use std::time::{Duration, Instant};

pub use register::{hide_unread_values, Register, RegisterInput, RegisterOutput, Versioned};

/// A sequential specification: what an operation does to the state and what it answers.
pub trait Model {
    type State: Clone + Eq + Hash + Debug;
    type Input: PartialEq + Debug;
    type Output: PartialEq + Debug;

    /// Applies `input` to `state`: the next state and the answer a correct system gives.
    fn step(&self, state: &Self::State, input: &Self::Input) -> (Self::State, Self::Output);
}

/// One operation of a history. Times are on any clock shared by every client (nanoseconds since
/// the start of the test, say); an operation with `completed: None` has an unknown outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct Operation<I, O> {
    pub client: usize,
    pub input: I,
    pub invoked: u64,
    pub completed: Option<Completed<O>>,
}

/// When an operation completed and what it answered.
#[derive(Debug, Clone, PartialEq)]
pub struct Completed<O> {
    pub at: u64,
    pub output: O,
}

/// What a check found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Linearizable,
    /// No order explains the history. `longest` is the longest prefix of an order that was found
    /// (indices into the history); `stuck_at` is the operation whose completion came before any
    /// order could take it, with the operations that were pending then: a small window around the
    /// anomaly, to print.
    NotLinearizable {
        longest: Vec<usize>,
        stuck_at: usize,
        pending: Vec<usize>,
    },
    /// The search ran out of its budget before deciding.
    Undecided {
        steps: u64,
    },
}

impl Verdict {
    pub fn is_linearizable(&self) -> bool {
        matches!(self, Verdict::Linearizable)
    }
}

/// Checks one partition of a history against `model` starting from `initial`, giving up after
/// `budget` of search time.
pub fn check<M: Model>(
    model: &M,
    initial: M::State,
    history: &[Operation<M::Input, M::Output>],
    budget: Duration,
) -> Verdict {
    Search::new(history).run(model, initial, Instant::now() + budget)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Call,
    Return,
}

/// One call or return event, linked into the list of events not yet linearized.
#[derive(Debug, Clone, Copy)]
struct Event {
    op: usize,
    kind: Kind,
    /// The index of the call's return event (for calls).
    partner: usize,
}

/// The doubly linked list of events, in time order, with a head sentinel at index `events.len()`.
struct Search<'h, I, O> {
    history: &'h [Operation<I, O>],
    events: Vec<Event>,
    next: Vec<usize>,
    prev: Vec<usize>,
    /// For an operation with an unknown outcome: its group of such operations with equal inputs,
    /// and its rank there by invocation. Only the first member not yet linearized is a candidate.
    twins: Vec<Option<(usize, usize)>>,
    /// Per group, how many members are linearized.
    twins_taken: Vec<usize>,
}

/// A set of operation indices, hashed with the model state for the memo.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Bits(Vec<u64>);

impl Bits {
    fn new(len: usize) -> Self {
        Bits(vec![0; len.div_ceil(64)])
    }

    fn set(&mut self, index: usize) {
        self.0[index / 64] |= 1 << (index % 64);
    }

    fn clear(&mut self, index: usize) {
        self.0[index / 64] &= !(1 << (index % 64));
    }
}

impl<'h, I: PartialEq, O: PartialEq> Search<'h, I, O> {
    fn new(history: &'h [Operation<I, O>]) -> Self {
        // Calls sort before returns at the same time: operations that touch are concurrent.
        let mut timed: Vec<(u64, Kind, usize)> = Vec::with_capacity(history.len() * 2);
        for (op, operation) in history.iter().enumerate() {
            timed.push((operation.invoked, Kind::Call, op));
            let returned = operation.completed.as_ref().map_or(u64::MAX, |completed| completed.at);
            timed.push((returned.max(operation.invoked), Kind::Return, op));
        }
        timed.sort_by_key(|&(at, kind, op)| (at, kind == Kind::Return, op));
        let mut return_of = vec![0; history.len()];
        for (index, &(_, kind, op)) in timed.iter().enumerate() {
            if kind == Kind::Return {
                return_of[op] = index;
            }
        }
        let events: Vec<Event> = timed
            .iter()
            .map(|&(_, kind, op)| Event { op, kind, partner: if kind == Kind::Call { return_of[op] } else { 0 } })
            .collect();
        // A circular list over the events and the head sentinel after them.
        let slots = events.len() + 1;
        let next = (0..slots).map(|index| (index + 1) % slots).collect();
        let prev = (0..slots).map(|index| (index + slots - 1) % slots).collect();
        let (twins, twins_taken) = twin_groups(history, &events);
        Search { history, events, next, prev, twins, twins_taken }
    }

    fn head(&self) -> usize {
        self.events.len()
    }

    fn unlink(&mut self, index: usize) {
        let (prev, next) = (self.prev[index], self.next[index]);
        self.next[prev] = next;
        self.prev[next] = prev;
    }

    fn relink(&mut self, index: usize) {
        let (prev, next) = (self.prev[index], self.next[index]);
        self.next[prev] = index;
        self.prev[next] = index;
    }

    /// Takes a call and its return out of the list (the operation is linearized).
    fn lift(&mut self, call: usize) {
        self.unlink(call);
        self.unlink(self.events[call].partner);
        if let Some((group, _)) = self.twins[self.events[call].op] {
            self.twins_taken[group] += 1;
        }
    }

    /// Puts them back, in the reverse order.
    fn unlift(&mut self, call: usize) {
        self.relink(self.events[call].partner);
        self.relink(call);
        if let Some((group, _)) = self.twins[self.events[call].op] {
            self.twins_taken[group] -= 1;
        }
    }

    /// Whether `op` may be linearized next as far as its twins go.
    fn first_of_its_twins(&self, op: usize) -> bool {
        self.twins[op].is_none_or(|(group, rank)| self.twins_taken[group] == rank)
    }

    /// The operations whose calls are still in the list before `until`.
    fn pending_before(&self, until: usize) -> Vec<usize> {
        let mut pending = Vec::new();
        let mut index = self.next[self.head()];
        while index != until && index != self.head() {
            if self.events[index].kind == Kind::Call {
                pending.push(self.events[index].op);
            }
            index = self.next[index];
        }
        pending
    }

    fn run<M>(mut self, model: &M, initial: M::State, deadline: Instant) -> Verdict
    where
        M: Model<Input = I, Output = O>,
    {
        let head = self.head();
        let mut state = initial;
        let mut linearized = Bits::new(self.history.len());
        let mut memo: HashSet<(Bits, M::State)> = HashSet::new();
        // The calls linearized so far, with the state before each and the pass that took it.
        let mut stack: Vec<(usize, M::State, bool)> = Vec::new();
        let mut longest: Vec<usize> = Vec::new();
        // Where the longest prefix got stuck.
        let mut stuck = (0, Vec::new());
        let mut steps = 0u64;
        // Each configuration is tried in two passes over its candidates (the calls before the
        // first return left in the list): first the operations that completed, then those whose
        // outcome is unknown. An unknown operation is thus linearized only when nothing else
        // explains what follows, which keeps histories with many of them tractable.
        let mut unknown_pass = false;
        let mut index = self.next[head];
        while self.next[head] != head {
            steps += 1;
            if steps.is_multiple_of(4096) && Instant::now() > deadline {
                return Verdict::Undecided { steps };
            }
            let event = self.events[index];
            match event.kind {
                Kind::Call => {
                    let operation = &self.history[event.op];
                    if operation.completed.is_none() == unknown_pass && self.first_of_its_twins(event.op) {
                        let (after, output) = model.step(&state, &operation.input);
                        // An unknown operation that changes nothing here may as well never happen.
                        let matches = match &operation.completed {
                            Some(completed) => completed.output == output,
                            None => after != state,
                        };
                        if matches {
                            let mut next_linearized = linearized.clone();
                            next_linearized.set(event.op);
                            if memo.insert((next_linearized.clone(), after.clone())) {
                                stack.push((index, std::mem::replace(&mut state, after), unknown_pass));
                                linearized = next_linearized;
                                self.lift(index);
                                index = self.next[head];
                                unknown_pass = false;
                                continue;
                            }
                        }
                    }
                    index = self.next[index];
                }
                // Returns at infinity come last: every operation that completed is linearized,
                // and the unknown ones left may never have happened.
                Kind::Return if self.history[event.op].completed.is_none() => return Verdict::Linearizable,
                Kind::Return if !unknown_pass => {
                    unknown_pass = true;
                    index = self.next[head];
                }
                Kind::Return => {
                    if stack.len() >= longest.len() {
                        longest = stack.iter().map(|&(call, _, _)| self.events[call].op).collect();
                        stuck = (event.op, self.pending_before(index));
                    }
                    let Some((call, before, pass)) = stack.pop() else {
                        let (stuck_at, pending) = stuck;
                        return Verdict::NotLinearizable { longest, stuck_at, pending };
                    };
                    state = before;
                    linearized.clear(self.events[call].op);
                    self.unlift(call);
                    index = self.next[call];
                    unknown_pass = pass;
                }
            }
        }
        Verdict::Linearizable
    }
}

/// Groups the operations of unknown outcome by equal input, each group in invocation order (the
/// order of their calls in `events`).
fn twin_groups<I: PartialEq, O>(
    history: &[Operation<I, O>],
    events: &[Event],
) -> (Vec<Option<(usize, usize)>>, Vec<usize>) {
    let mut twins = vec![None; history.len()];
    // Per group: its input's first operation and its size.
    let mut groups: Vec<(usize, usize)> = Vec::new();
    for event in events.iter().filter(|event| event.kind == Kind::Call) {
        let op = event.op;
        if history[op].completed.is_some() {
            continue;
        }
        let found = groups.iter().position(|&(first, _)| history[first].input == history[op].input);
        let group = found.unwrap_or_else(|| {
            groups.push((op, 0));
            groups.len() - 1
        });
        twins[op] = Some((group, groups[group].1));
        groups[group].1 += 1;
    }
    (twins, vec![0; groups.len()])
}
