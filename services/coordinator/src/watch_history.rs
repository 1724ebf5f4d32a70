//! The bounded history of tree events that watches are answered from, and the filter that says
//! which events a watch wants. Pure: the node's long-poll handler does the waiting.

use std::collections::VecDeque;

use corral_wire::coordinator::WatchEvent;

/// Which events a watch wants: exact paths, and prefixes matching a node and all below it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WatchFilter {
    pub paths: Vec<String>,
    pub prefixes: Vec<String>,
}

impl WatchFilter {
    pub fn matches(&self, path: &str) -> bool {
        self.paths.iter().any(|p| p == path) || self.prefixes.iter().any(|prefix| is_under(path, prefix))
    }
}

fn is_under(path: &str, prefix: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty() || path == prefix || path.strip_prefix(prefix).is_some_and(|rest| rest.starts_with('/'))
}

/// The history no longer reaches back to the zxid a watch asked from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HistoryCleared {
    pub oldest_available: u64,
}

/// The most recent events, oldest first, in zxid order.
#[derive(Debug)]
pub struct WatchHistory {
    events: VecDeque<WatchEvent>,
    capacity: usize,
    /// Events with a zxid up to and including `floor` may be missing.
    floor: u64,
}

impl WatchHistory {
    /// An empty history that knows nothing at or before `floor`.
    pub fn new(capacity: usize, floor: u64) -> Self {
        WatchHistory { events: VecDeque::with_capacity(capacity.min(1 << 16)), capacity: capacity.max(1), floor }
    }

    /// Appends the events of newly applied entries (zxids never decrease).
    pub fn record(&mut self, events: impl IntoIterator<Item = WatchEvent>) {
        for event in events {
            if self.events.len() == self.capacity {
                let dropped = self.events.pop_front().expect("a full history is not empty");
                self.floor = self.floor.max(dropped.zxid);
            }
            self.events.push_back(event);
        }
    }

    /// Forgets everything: the state was replaced (a snapshot was installed) at `floor`.
    pub fn reset(&mut self, floor: u64) {
        self.events.clear();
        self.floor = floor;
    }

    /// The events after `since` and up to `until` that `filter` wants, or an error if some of
    /// them may have been dropped already.
    pub fn since(&self, since: u64, until: u64, filter: &WatchFilter) -> Result<Vec<WatchEvent>, HistoryCleared> {
        if since < self.floor {
            return Err(HistoryCleared { oldest_available: self.floor });
        }
        let start = self.events.partition_point(|event| event.zxid <= since);
        Ok(self
            .events
            .range(start..)
            .take_while(|event| event.zxid <= until)
            .filter(|event| filter.matches(&event.path))
            .cloned()
            .collect())
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use corral_wire::coordinator::EventKind;

    use super::*;

    fn event(zxid: u64, path: &str) -> WatchEvent {
        WatchEvent { zxid, path: path.to_string(), kind: EventKind::DataChanged }
    }

    fn zxids(events: &[WatchEvent]) -> Vec<u64> {
        events.iter().map(|e| e.zxid).collect()
    }

    #[test]
    fn prefixes_match_the_node_and_below_only() {
        let filter = WatchFilter { paths: vec!["/x".into()], prefixes: vec!["/a/b".into()] };
        assert!(filter.matches("/x"));
        assert!(!filter.matches("/x/y"));
        assert!(filter.matches("/a/b"));
        assert!(filter.matches("/a/b/c/d"));
        assert!(!filter.matches("/a/bc"));
        assert!(!filter.matches("/a"));
        let everything = WatchFilter { paths: vec![], prefixes: vec!["/".into()] };
        assert!(everything.matches("/"));
        assert!(everything.matches("/any/thing"));
    }

    #[test]
    fn answers_events_after_since_up_to_until() {
        let mut history = WatchHistory::new(10, 0);
        history.record([event(1, "/a"), event(2, "/b"), event(2, "/a"), event(5, "/a")]);
        let filter = WatchFilter { paths: vec!["/a".into()], prefixes: vec![] };
        assert_eq!(zxids(&history.since(0, 10, &filter).unwrap()), vec![1, 2, 5]);
        assert_eq!(zxids(&history.since(1, 10, &filter).unwrap()), vec![2, 5]);
        assert_eq!(zxids(&history.since(1, 4, &filter).unwrap()), vec![2]);
        assert!(history.since(5, 10, &filter).unwrap().is_empty());
    }

    #[test]
    fn dropping_events_raises_the_floor() {
        let mut history = WatchHistory::new(2, 0);
        history.record([event(1, "/a"), event(2, "/a"), event(3, "/a")]);
        let filter = WatchFilter { paths: vec![], prefixes: vec!["/".into()] };
        assert_eq!(history.since(0, 9, &filter), Err(HistoryCleared { oldest_available: 1 }));
        assert_eq!(zxids(&history.since(1, 9, &filter).unwrap()), vec![2, 3]);
        history.reset(7);
        assert!(history.since(6, 9, &filter).is_err());
        assert!(history.since(7, 9, &filter).unwrap().is_empty());
    }
}
