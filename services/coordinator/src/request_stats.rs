//! Counts of client requests and their latency, for `srvr`, `mntr` and `/metrics`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy)]
pub struct LatencySummary {
    pub received: u64,
    pub min_ms: f64,
    pub avg_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug, Default)]
pub struct RequestStats {
    inner: Mutex<Totals>,
    watching: AtomicU64,
}

/// Counts one waiting watch for as long as it lives.
pub struct WatchingGuard<'a>(&'a AtomicU64);

impl Drop for WatchingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

#[derive(Debug, Default)]
struct Totals {
    count: u64,
    total: Duration,
    min: Option<Duration>,
    max: Duration,
}

impl RequestStats {
    pub fn record(&self, latency: Duration) {
        let mut totals = self.inner.lock().expect("stats lock");
        totals.count += 1;
        totals.total += latency;
        totals.min = Some(totals.min.map_or(latency, |min| min.min(latency)));
        totals.max = totals.max.max(latency);
    }

    /// Marks a watch as waiting until the guard is dropped.
    pub fn watching(&self) -> WatchingGuard<'_> {
        self.watching.fetch_add(1, Ordering::Relaxed);
        WatchingGuard(&self.watching)
    }

    /// How many watches are waiting right now.
    pub fn watches(&self) -> u64 {
        self.watching.load(Ordering::Relaxed)
    }

    pub fn summary(&self) -> LatencySummary {
        let totals = self.inner.lock().expect("stats lock");
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        LatencySummary {
            received: totals.count,
            min_ms: totals.min.map_or(0.0, ms),
            avg_ms: if totals.count == 0 { 0.0 } else { ms(totals.total) / totals.count as f64 },
            max_ms: ms(totals.max),
        }
    }
}
