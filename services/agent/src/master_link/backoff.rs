//! Pauses between attempts to reach the master: doubling from 250 ms to 5 s, each stretched by
//! up to a quarter at random so that the agents of a cluster do not all come back at once.

use std::time::Duration;

use rand::Rng;

const FIRST: Duration = Duration::from_millis(250);
const LONGEST: Duration = Duration::from_secs(5);

#[derive(Debug, Clone)]
pub(super) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff { next: FIRST }
    }
}

impl Backoff {
    pub(super) fn next_pause(&mut self) -> Duration {
        let pause = self.next;
        self.next = (self.next * 2).min(LONGEST);
        pause.mul_f64(1.0 + rand::thread_rng().gen_range(0.0..0.25))
    }

    pub(super) fn reset(&mut self) {
        self.next = FIRST;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_up_to_the_longest_then_resets() {
        let mut backoff = Backoff::default();
        let pauses: Vec<Duration> = (0..7).map(|_| backoff.next_pause()).collect();
        for (pause, base) in pauses.iter().zip([250, 500, 1000, 2000, 4000, 5000, 5000]) {
            let base = Duration::from_millis(base);
            assert!(*pause >= base && *pause <= base.mul_f64(1.25), "{pause:?} vs {base:?}");
        }
        backoff.reset();
        assert!(backoff.next_pause() < Duration::from_millis(320));
    }
}
