//! Counts of client requests and their latency, for `srvr`, `mntr` and `/metrics`. Lock-free:
//! thousands of watches may finish in the same instant.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Debug, Default, Clone, Copy)]
pub struct LatencySummary {
    pub received: u64,
    pub min_ms: f64,
    pub avg_ms: f64,
    pub max_ms: f64,
}

#[derive(Debug)]
pub struct RequestStats {
    count: AtomicU64,
    total_micros: AtomicU64,
    min_micros: AtomicU64,
    max_micros: AtomicU64,
    watching: AtomicU64,
}

impl Default for RequestStats {
    fn default() -> Self {
        RequestStats {
            count: AtomicU64::new(0),
            total_micros: AtomicU64::new(0),
            min_micros: AtomicU64::new(u64::MAX),
            max_micros: AtomicU64::new(0),
            watching: AtomicU64::new(0),
        }
    }
}

/// Counts one waiting watch for as long as it lives.
pub struct WatchingGuard<'a>(&'a AtomicU64);

impl Drop for WatchingGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl RequestStats {
    pub fn record(&self, latency: Duration) {
        let micros = latency.as_micros().min(u128::from(u64::MAX)) as u64;
        self.count.fetch_add(1, Ordering::Relaxed);
        self.total_micros.fetch_add(micros, Ordering::Relaxed);
        self.min_micros.fetch_min(micros, Ordering::Relaxed);
        self.max_micros.fetch_max(micros, Ordering::Relaxed);
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
        let count = self.count.load(Ordering::Relaxed);
        let ms = |micros: u64| micros as f64 / 1000.0;
        if count == 0 {
            return LatencySummary::default();
        }
        LatencySummary {
            received: count,
            min_ms: ms(self.min_micros.load(Ordering::Relaxed)),
            avg_ms: ms(self.total_micros.load(Ordering::Relaxed)) / count as f64,
            max_ms: ms(self.max_micros.load(Ordering::Relaxed)),
        }
    }
}
