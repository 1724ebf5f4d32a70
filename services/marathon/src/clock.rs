//! The wall clock as Marathon writes time: the one place marathon reads it. And `later`, the one
//! way a duration that comes from outside (an app's launch backoff, the drain wait flag) is added
//! to an instant: never past what an `Instant` can hold, so no number a client sends can make
//! marathon panic.

use std::time::{Duration, Instant};

pub use corral_kit::wall_clock as now;

/// `at + by`, or, when that is beyond what an `Instant` can hold, as late as it can hold (to
/// within a factor of two of `by`). Pure.
pub fn later(at: Instant, by: Duration) -> Instant {
    let mut by = by;
    loop {
        if let Some(instant) = at.checked_add(by) {
            return instant;
        }
        by /= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_duration_too_long_for_an_instant_ends_as_late_as_an_instant_can_be() {
        let now = Instant::now();
        assert_eq!(later(now, Duration::from_secs(3)), now + Duration::from_secs(3));
        let far = later(now, Duration::MAX);
        assert!(far > now + Duration::from_secs(100 * 365 * 24 * 3600), "far in the future");
        assert!(later(far, Duration::MAX) >= far, "and never earlier than it started");
    }
}
