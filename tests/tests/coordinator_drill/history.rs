//! What the drill records (every register operation with its invocation and completion times, the
//! watch stream, the nemesis' faults) and the checks on it: linearizability per key, the weaker
//! promises of plain reads, and a watch that misses no acknowledged change and repeats none.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use corral_coord_client::{CoordError, EventKind, WatchEvent};
use corral_testkit::linearizable::{
    check, hide_unread_values, Completed, Operation, Register, RegisterInput, RegisterOutput, Verdict, Versioned,
};

/// Every key starts as value 0 at version 0.
pub(crate) const INITIAL: Versioned = Versioned { value: 0, version: 0 };
/// The longest the checker may search one key's history.
const CHECK_BUDGET: Duration = Duration::from_secs(20);

/// How one operation ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// Answered, at `at` (ns since the start): what the model must explain, and for a change the
    /// zxid it was applied at.
    Done { at: u64, output: RegisterOutput, zxid: Option<u64> },
    /// It may or may not have happened (its answer was lost).
    Unknown(String),
    /// It surely did not happen: no server took the write, or the read failed.
    Failed(String),
}

impl Outcome {
    /// The outcome of a write or compare-and-set that answered `result`.
    pub(crate) fn of_write(at: u64, result: Result<(i64, u64), CoordError>) -> Outcome {
        match result {
            Ok((version, zxid)) => Outcome::Done { at, output: RegisterOutput::Written { version }, zxid: Some(zxid) },
            Err(error) if error.is_bad_version() => {
                Outcome::Done { at, output: RegisterOutput::BadVersion, zxid: None }
            }
            Err(error @ CoordError::Unavailable(_)) => Outcome::Failed(error.to_string()),
            // A lost answer, a garbled one, or an error status nobody expects: it may have happened.
            Err(error) => Outcome::Unknown(error.to_string()),
        }
    }

    /// The outcome of a read that answered `result`.
    pub(crate) fn of_read(at: u64, result: Result<Versioned, CoordError>) -> Outcome {
        match result {
            Ok(versioned) => Outcome::Done { at, output: RegisterOutput::Read(versioned), zxid: None },
            Err(error) => Outcome::Failed(error.to_string()),
        }
    }
}

/// One operation on one key.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub(crate) client: usize,
    pub(crate) key: usize,
    pub(crate) input: RegisterInput,
    /// A plain read (sequentially consistent only), checked apart from the others.
    pub(crate) plain: bool,
    pub(crate) invoked: u64,
    pub(crate) outcome: Outcome,
}

/// What the watcher saw, in order.
#[derive(Debug, Clone)]
pub(crate) enum Seen {
    Event(WatchEvent),
    /// The history no longer reached back: events after `from` up to `to` may be missing.
    Reset {
        from: u64,
        to: u64,
    },
}

/// The shared log of a drill: operations, the watch stream and the nemesis' faults.
pub(crate) struct Recorder {
    start: Instant,
    pub(crate) records: Mutex<Vec<Record>>,
    pub(crate) faults: Mutex<Vec<(u64, String)>>,
}

impl Recorder {
    pub(crate) fn new() -> Self {
        Recorder { start: Instant::now(), records: Mutex::new(Vec::new()), faults: Mutex::new(Vec::new()) }
    }

    /// Nanoseconds since the drill started: the clock every record shares.
    pub(crate) fn now(&self) -> u64 {
        self.start.elapsed().as_nanos() as u64
    }

    pub(crate) fn record(&self, record: Record) {
        self.records.lock().unwrap().push(record);
    }

    pub(crate) fn fault(&self, what: String) {
        println!("{:>8.3}s nemesis: {what}", self.now() as f64 / 1e9);
        self.faults.lock().unwrap().push((self.now(), what));
    }
}

fn seconds(ns: u64) -> String {
    if ns == u64::MAX {
        return "∞".into();
    }
    format!("{:.3}", ns as f64 / 1e9)
}

/// The start of an error message: enough to tell a timeout from a lost answer.
fn shortened(reason: &str) -> String {
    match reason.char_indices().nth(100) {
        Some((end, _)) => format!("{}…", &reason[..end]),
        None => reason.to_string(),
    }
}

fn describe(record: &Record) -> String {
    let input = match record.input {
        RegisterInput::Read if record.plain => "plain read".to_string(),
        RegisterInput::Read => "read".to_string(),
        RegisterInput::Write(value) => format!("write {value}"),
        RegisterInput::Cas { expected, value } => format!("cas v{expected} -> {value}"),
    };
    let outcome = match &record.outcome {
        Outcome::Done { at, output, zxid } => {
            let output = match output {
                RegisterOutput::Read(Versioned { value, version }) => format!("{value} at v{version}"),
                RegisterOutput::Written { version } => format!("ok v{version}"),
                RegisterOutput::BadVersion => "bad version".into(),
            };
            let zxid = zxid.map(|zxid| format!(" zxid {zxid}")).unwrap_or_default();
            format!("{}s: {output}{zxid}", seconds(*at))
        }
        Outcome::Unknown(reason) => format!("?: unknown ({})", shortened(reason)),
        Outcome::Failed(reason) => format!("-: failed ({})", shortened(reason)),
    };
    format!("[{}s .. {outcome}] client {} key {}: {input}", seconds(record.invoked), record.client, record.key)
}

/// The linearizability history of one key, with the record of each operation in it: reads
/// through the leader that answered, and writes and compare-and-sets that answered or may have
/// happened. With `strict`, a write that no server took did not happen; without, it counts as
/// unknown (which tells such a write that did happen from other anomalies).
fn key_history<'r>(
    records: &[&'r Record],
    strict: bool,
) -> (Vec<Operation<RegisterInput, RegisterOutput>>, Vec<&'r Record>) {
    let mut history = Vec::new();
    let mut included = Vec::new();
    for &record in records.iter().filter(|record| !record.plain) {
        let completed = match (&record.outcome, record.input) {
            (Outcome::Done { at, output, .. }, _) => Some(Completed { at: *at, output: *output }),
            (_, RegisterInput::Read) => continue,
            (Outcome::Failed(_), _) if strict => continue,
            (Outcome::Failed(_) | Outcome::Unknown(_), _) => None,
        };
        history.push(Operation { client: record.client, input: record.input, invoked: record.invoked, completed });
        included.push(record);
    }
    hide_unread_values(&mut history);
    (history, included)
}

/// Checks every key's history; a report of each key that is not linearizable.
pub(crate) fn check_linearizable(records: &[Record], keys: usize, faults: &[(u64, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    for key in 0..keys {
        let of_key: Vec<&Record> = records.iter().filter(|record| record.key == key).collect();
        let (history, included) = key_history(&of_key, true);
        match check(&Register, INITIAL, &history, CHECK_BUDGET) {
            Verdict::Linearizable => {}
            Verdict::Undecided { steps } => {
                problems.push(format!("key {key}: undecided after {steps} steps over {} operations", history.len()))
            }
            Verdict::NotLinearizable { longest, stuck_at, pending } => {
                // Whether a write refused with 503 everywhere (so surely not applied) explains it.
                let (lenient, _) = key_history(&of_key, false);
                let lenient = match check(&Register, INITIAL, &lenient, CHECK_BUDGET) {
                    Verdict::Linearizable => "linearizable: a write no server took did happen",
                    Verdict::NotLinearizable { .. } => "still not linearizable",
                    Verdict::Undecided { .. } => "undecided",
                };
                let mut report = format!(
                    "key {key} is not linearizable ({} operations; counting writes no server took as unknown: {lenient})\n",
                    history.len()
                );
                let _ = writeln!(report, "  the end of the longest linearizable prefix found:");
                for &op in &longest[longest.len().saturating_sub(8)..] {
                    let _ = writeln!(report, "    {}", describe(included[op]));
                }
                let _ = writeln!(report, "  cannot be linearized: {}", describe(included[stuck_at]));
                let _ = writeln!(report, "  pending then:");
                for &op in pending.iter().filter(|&&op| op != stuck_at) {
                    let _ = writeln!(report, "    {}", describe(included[op]));
                }
                let from = included[stuck_at].invoked.saturating_sub(5_000_000_000);
                let until = match &included[stuck_at].outcome {
                    Outcome::Done { at, .. } => *at,
                    _ => u64::MAX,
                };
                let _ = writeln!(report, "  faults from 5 s before:");
                for (at, fault) in faults.iter().filter(|(at, _)| (from..=until).contains(at)) {
                    let _ = writeln!(report, "    {}s {fault}", seconds(*at));
                }
                problems.push(report);
            }
        }
    }
    problems
}

/// What plain reads promise: each shows a state some write produced (the value of that version is
/// the one everybody else saw), and a client never reads a version older than one it has seen.
pub(crate) fn check_plain_reads(records: &[Record]) -> Vec<String> {
    let mut problems = Vec::new();
    // The value of each (key, version) as acknowledged writes and reads showed it.
    let mut values: BTreeMap<(usize, i64), (u64, &Record)> = BTreeMap::new();
    let written: BTreeSet<(usize, u64)> = records
        .iter()
        .filter_map(|record| match record.input {
            RegisterInput::Write(value) | RegisterInput::Cas { value, .. } => Some((record.key, value)),
            RegisterInput::Read => None,
        })
        .collect();
    let mut by_time: Vec<&Record> = records.iter().collect();
    by_time.sort_by_key(|record| record.invoked);
    // Per (client, key): the highest version the client has seen.
    let mut seen: BTreeMap<(usize, usize), i64> = BTreeMap::new();
    for record in by_time {
        let Outcome::Done { output, .. } = &record.outcome else { continue };
        let observed = match (record.input, output) {
            (_, RegisterOutput::Read(versioned)) => Some(*versioned),
            (RegisterInput::Write(value) | RegisterInput::Cas { value, .. }, RegisterOutput::Written { version }) => {
                Some(Versioned { value, version: *version })
            }
            _ => None,
        };
        let Some(observed) = observed else { continue };
        if record.plain && observed != INITIAL && !written.contains(&(record.key, observed.value)) {
            problems.push(format!("a plain read returned a value nobody wrote: {}", describe(record)));
        }
        match values.get(&(record.key, observed.version)) {
            Some((value, first)) if *value != observed.value => problems.push(format!(
                "version {} of key {} has two values:\n    {}\n    {}",
                observed.version,
                record.key,
                describe(first),
                describe(record)
            )),
            Some(_) => {}
            None => {
                values.insert((record.key, observed.version), (observed.value, record));
            }
        }
        let highest = seen.entry((record.client, record.key)).or_insert(0);
        if record.plain && observed.version < *highest {
            problems.push(format!(
                "client {} read version {} after it had seen version {}: {}",
                record.client,
                observed.version,
                highest,
                describe(record)
            ));
        }
        *highest = (*highest).max(observed.version);
    }
    problems
}

/// What the watch promises for the register keys: per path, zxids never go back; no change is
/// reported more often than it could have happened; every acknowledged change is reported,
/// unless a reset skipped its zxid (those are counted, not failed).
pub(crate) struct WatchFindings {
    pub(crate) problems: Vec<String>,
    pub(crate) events: usize,
    pub(crate) resets: Vec<(u64, u64)>,
    pub(crate) acknowledged: usize,
    pub(crate) skipped_by_resets: usize,
}

pub(crate) fn check_watch(seen: &[Seen], records: &[Record], key_path: impl Fn(usize) -> String) -> WatchFindings {
    let mut problems = Vec::new();
    let resets: Vec<(u64, u64)> = seen
        .iter()
        .filter_map(|item| match item {
            Seen::Reset { from, to } => Some((*from, *to)),
            Seen::Event(_) => None,
        })
        .collect();
    let events: Vec<&WatchEvent> = seen
        .iter()
        .filter_map(|item| match item {
            Seen::Event(event) => Some(event),
            Seen::Reset { .. } => None,
        })
        .collect();
    let mut last: BTreeMap<&str, u64> = BTreeMap::new();
    for event in &events {
        let previous = last.entry(event.path.as_str()).or_insert(0);
        if event.zxid < *previous {
            problems.push(format!("{} went back from zxid {} to {}", event.path, previous, event.zxid));
        }
        *previous = event.zxid;
    }
    // Per (path, zxid): how many data changes the watch reported, and how many were acknowledged.
    let mut reported: BTreeMap<(String, u64), usize> = BTreeMap::new();
    for event in events.iter().filter(|event| event.kind == EventKind::DataChanged) {
        *reported.entry((event.path.clone(), event.zxid)).or_default() += 1;
    }
    let mut acknowledged: BTreeMap<(String, u64), usize> = BTreeMap::new();
    let mut unknown: BTreeMap<String, usize> = BTreeMap::new();
    for record in records.iter().filter(|record| record.input != RegisterInput::Read) {
        match &record.outcome {
            Outcome::Done { output: RegisterOutput::Written { .. }, zxid: Some(zxid), .. } => {
                *acknowledged.entry((key_path(record.key), *zxid)).or_default() += 1;
            }
            Outcome::Unknown(_) => *unknown.entry(key_path(record.key)).or_default() += 1,
            Outcome::Done { .. } | Outcome::Failed(_) => {}
        }
    }
    for ((path, zxid), count) in &reported {
        let possible =
            acknowledged.get(&(path.clone(), *zxid)).copied().unwrap_or(0) + unknown.get(path).copied().unwrap_or(0);
        if *count > possible {
            problems.push(format!("{path} changed {count} times at zxid {zxid}, which at most {possible} writes did"));
        }
    }
    let mut skipped_by_resets = 0;
    for ((path, zxid), count) in &acknowledged {
        let got = reported.get(&(path.clone(), *zxid)).copied().unwrap_or(0);
        if got >= *count {
            continue;
        }
        if resets.iter().any(|(from, to)| (from + 1..=*to).contains(zxid)) {
            skipped_by_resets += 1;
        } else {
            problems.push(format!("the watch missed {} acknowledged change(s) of {path} at zxid {zxid}", count - got));
        }
    }
    WatchFindings {
        problems,
        events: events.len(),
        resets,
        acknowledged: acknowledged.values().sum(),
        skipped_by_resets,
    }
}

/// Counts for the summary: per kind of operation, how many answered, were unknown or failed.
pub(crate) fn tally(records: &[Record]) -> String {
    let mut counts: BTreeMap<&str, [usize; 3]> = BTreeMap::new();
    for record in records {
        let kind = match (record.input, &record.outcome) {
            (RegisterInput::Read, _) if record.plain => "plain reads",
            (RegisterInput::Read, _) => "reads",
            (RegisterInput::Write(_), _) => "writes",
            (RegisterInput::Cas { .. }, Outcome::Done { output: RegisterOutput::BadVersion, .. }) => "cas refused",
            (RegisterInput::Cas { .. }, _) => "cas",
        };
        let slot = match record.outcome {
            Outcome::Done { .. } => 0,
            Outcome::Unknown(_) => 1,
            Outcome::Failed(_) => 2,
        };
        counts.entry(kind).or_default()[slot] += 1;
    }
    let mut text = String::new();
    for (kind, [done, unknown, failed]) in counts {
        let _ = write!(text, "\n  {kind:<12} {done:>6} answered {unknown:>4} unknown {failed:>4} failed");
    }
    text
}
