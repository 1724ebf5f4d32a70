//! The wall clock as Marathon writes time (`2026-12-02T10:59:24.123Z`), for the services that
//! stamp what they report with it.

use std::time::{SystemTime, UNIX_EPOCH};

use corral_wire::marathon::Timestamp;

/// Now, to the millisecond.
pub fn wall_clock() -> Timestamp {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis());
    Timestamp::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}
