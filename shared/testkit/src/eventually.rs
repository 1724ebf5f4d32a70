//! Waiting for a condition in end-to-end tests, with patience scaled by `CORRAL_TEST_PATIENCE`.

use std::future::Future;
use std::time::Duration;

/// `base` scaled by the `CORRAL_TEST_PATIENCE` factor (default 1), for slow machines.
pub fn patience(base: Duration) -> Duration {
    let factor: f64 = std::env::var("CORRAL_TEST_PATIENCE").ok().and_then(|value| value.parse().ok()).unwrap_or(1.0);
    base.mul_f64(factor.max(0.1))
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `within` (scaled by
/// [`patience`]) saying what was awaited.
pub async fn eventually<T, F, Fut>(what: &str, within: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + patience(within);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(tokio::time::Instant::now() < deadline, "timed out after {within:?} waiting for {what}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
