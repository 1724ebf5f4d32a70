//! Offer filters. A framework that gives resources back with `refuse_seconds` (a DECLINE, or the
//! unused part of an ACCEPT) is not offered them on that agent again until the filter expires:
//! the filter blocks an offer whose resources are all among the refused ones (Mesos' rule), so
//! resources freed since then, being more than was refused, reach the framework again at once.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use corral_wire::mesos::ResourceSet;

/// Mesos' cap on `refuse_seconds`: longer refusals are taken as a year.
const LONGEST_REFUSAL: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// A framework's wish not to be offered what it gives back, for `duration` from `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub duration: Duration,
    pub now: Instant,
}

/// One framework's filters, by agent slot.
#[derive(Debug, Default)]
pub(super) struct OfferFilters {
    by_agent: HashMap<usize, Vec<Filter>>,
}

#[derive(Debug)]
struct Filter {
    refused: ResourceSet,
    expires: Instant,
}

impl OfferFilters {
    /// A refusal of zero seconds installs nothing, as in Mesos.
    pub(super) fn install(&mut self, agent: usize, refused: ResourceSet, refusal: Refusal) {
        if refusal.duration.is_zero() {
            return;
        }
        let expires = refusal.now.checked_add(refusal.duration.min(LONGEST_REFUSAL)).unwrap_or(refusal.now);
        self.by_agent.entry(agent).or_default().push(Filter { refused, expires });
    }

    /// Whether a filter still in force at `now` keeps `offer` on `agent` from this framework.
    /// Filters expired by `now` are dropped on the way.
    pub(super) fn blocks(&mut self, agent: usize, offer: &ResourceSet, now: Instant) -> bool {
        let Some(filters) = self.by_agent.get_mut(&agent) else {
            return false;
        };
        filters.retain(|filter| filter.expires > now);
        if filters.is_empty() {
            self.by_agent.remove(&agent);
            return false;
        }
        filters.iter().any(|filter| filter.refused.contains(offer))
    }

    pub(super) fn forget_agent(&mut self, agent: usize) {
        self.by_agent.remove(&agent);
    }

    pub(super) fn clear(&mut self) {
        self.by_agent.clear();
    }

    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        self.by_agent.values().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Installs a refusal of `refused` for 5 s and asks whether `offer` is blocked `after` later.
    fn check(refused: &str, offer: &str, after: Duration, blocked: bool) {
        let start = Instant::now();
        let mut filters = OfferFilters::default();
        let refused = ResourceSet::parse(refused).unwrap();
        filters.install(7, refused, Refusal { duration: Duration::from_secs(5), now: start });
        let offer = ResourceSet::parse(offer).unwrap();
        assert_eq!(filters.blocks(7, &offer, start + after), blocked, "{offer} after {after:?}");
        assert!(!filters.blocks(8, &offer, start + after), "another agent is never filtered");
    }

    #[test]
    fn a_filter_blocks_subsets_of_the_refused_resources_until_it_expires() {
        let second = Duration::from_secs(1);
        let whole = "cpus:4;mem:1024;ports:[31000-31009]";
        check(whole, whole, second, true);
        check(whole, "cpus:1;mem:512;ports:[31002-31003]", second, true);
        check(whole, "cpus:4.5;mem:1024", second, false);
        check(whole, "cpus:1;ports:[31000-31010]", second, false);
        check(whole, "cpus:1;disk:1", second, false);
        check(whole, whole, 4 * second, true);
        check(whole, whole, 5 * second, false);
        check(whole, whole, 6 * second, false);
    }

    #[test]
    fn expired_zero_and_cleared_filters_are_gone() {
        let now = Instant::now();
        let offer = ResourceSet::parse("cpus:1").unwrap();
        let mut filters = OfferFilters::default();
        filters.install(1, offer.clone(), Refusal { duration: Duration::ZERO, now });
        assert_eq!(filters.len(), 0);
        filters.install(1, offer.clone(), Refusal { duration: Duration::from_secs(1), now });
        filters.install(1, offer.clone(), Refusal { duration: Duration::from_secs(3), now });
        filters.install(2, offer.clone(), Refusal { duration: Duration::MAX, now });
        assert_eq!(filters.len(), 3);
        assert!(filters.blocks(1, &offer, now + Duration::from_secs(2)));
        assert_eq!(filters.len(), 2);
        assert!(filters.blocks(2, &offer, now + Duration::from_secs(300 * 24 * 60 * 60)));
        filters.forget_agent(2);
        assert_eq!(filters.len(), 1);
        filters.clear();
        assert!(!filters.blocks(1, &offer, now));
    }
}
