//! [`RecentEntries`]: the newest log entries, kept in memory. openraft reads the log for every
//! apply and every replication; serving those reads from here keeps sqlite off that path. It also
//! holds entries not yet written, so readers see them before the writer has made them durable.
//! Pure: the log store and its writer do the IO.

use std::collections::BTreeMap;

use openraft::Entry;

use super::TypeConfig;

#[derive(Debug)]
struct Held {
    entry: Entry<TypeConfig>,
    durable: bool,
}

#[derive(Debug)]
pub(super) struct RecentEntries {
    held: BTreeMap<u64, Held>,
    /// How many durable entries to keep; entries not yet durable are always kept.
    keep: usize,
}

impl RecentEntries {
    pub(super) fn new(keep: usize) -> Self {
        RecentEntries { held: BTreeMap::new(), keep }
    }

    /// Entries just handed to the writer; a newer entry replaces an older one at its index.
    pub(super) fn append(&mut self, entries: &[Entry<TypeConfig>]) {
        for entry in entries {
            self.held.insert(entry.log_id.index, Held { entry: entry.clone(), durable: false });
        }
    }

    /// The writer made these entries durable; old durable entries beyond `keep` are dropped.
    pub(super) fn mark_durable(&mut self, entries: &[Entry<TypeConfig>]) {
        for entry in entries {
            if let Some(held) = self.held.get_mut(&entry.log_id.index) {
                if held.entry.log_id == entry.log_id {
                    held.durable = true;
                }
            }
        }
        let excess = self.held.len().saturating_sub(self.keep);
        let dropped: Vec<u64> =
            self.held.iter().filter(|(_, held)| held.durable).map(|(index, _)| *index).take(excess).collect();
        for index in dropped {
            self.held.remove(&index);
        }
    }

    /// Forgets entries from `since` on (a conflicting suffix was truncated).
    pub(super) fn truncate(&mut self, since: u64) {
        self.held.split_off(&since);
    }

    /// Forgets entries up to `upto` (purged behind a snapshot).
    pub(super) fn purge(&mut self, upto: u64) {
        self.held = self.held.split_off(&(upto + 1));
    }

    /// Every entry in `[low, high]` if all of them are held, so the database need not be read.
    pub(super) fn all_in(&self, low: u64, high: u64) -> Option<Vec<Entry<TypeConfig>>> {
        let entries = self.some_in(low, high);
        let complete = entries.len() as u64 == high - low + 1;
        complete.then_some(entries)
    }

    /// The held entries in `[low, high]`, which take precedence over the database's.
    pub(super) fn some_in(&self, low: u64, high: u64) -> Vec<Entry<TypeConfig>> {
        self.held.range(low..=high).map(|(_, held)| held.entry.clone()).collect()
    }
}

#[cfg(test)]
mod tests {
    use openraft::{CommittedLeaderId, EntryPayload, LogId};

    use super::*;

    fn entry(term: u64, index: u64) -> Entry<TypeConfig> {
        Entry { log_id: LogId::new(CommittedLeaderId::new(term, 1), index), payload: EntryPayload::Blank }
    }

    fn indexes(entries: &[Entry<TypeConfig>]) -> Vec<(u64, u64)> {
        entries.iter().map(|e| (e.log_id.leader_id.term, e.log_id.index)).collect()
    }

    #[test]
    fn serves_ranges_it_holds_completely() {
        let mut recent = RecentEntries::new(10);
        recent.append(&[entry(1, 1), entry(1, 2), entry(1, 3)]);
        assert_eq!(indexes(&recent.all_in(1, 3).unwrap()), vec![(1, 1), (1, 2), (1, 3)]);
        assert!(recent.all_in(2, 4).is_none());
        assert_eq!(indexes(&recent.some_in(2, 4)), vec![(1, 2), (1, 3)]);
    }

    #[test]
    fn keeps_entries_until_durable_then_only_the_newest() {
        let mut recent = RecentEntries::new(2);
        let batch = [entry(1, 1), entry(1, 2), entry(1, 3), entry(1, 4)];
        recent.append(&batch);
        assert!(recent.all_in(1, 4).is_some(), "nothing is dropped before it is durable");
        recent.mark_durable(&batch[..2]);
        assert_eq!(indexes(&recent.some_in(0, 9)), vec![(1, 3), (1, 4)]);
        recent.mark_durable(&batch[2..]);
        assert_eq!(indexes(&recent.some_in(0, 9)), vec![(1, 3), (1, 4)]);
    }

    #[test]
    fn a_truncated_and_rewritten_entry_is_not_marked_by_the_old_write() {
        let mut recent = RecentEntries::new(0);
        recent.append(&[entry(1, 1), entry(1, 2)]);
        recent.truncate(2);
        recent.append(&[entry(2, 2)]);
        recent.mark_durable(&[entry(1, 1), entry(1, 2)]);
        assert_eq!(indexes(&recent.some_in(0, 9)), vec![(2, 2)], "the term-2 entry is not yet durable");
        recent.purge(2);
        assert!(recent.some_in(0, 9).is_empty());
    }
}
