//! The wall clock as Marathon writes time: the one place marathon reads it.

use std::time::{SystemTime, UNIX_EPOCH};

use corral_wire::marathon::Timestamp;

pub fn now() -> Timestamp {
    let millis = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |since| since.as_millis());
    Timestamp::from_millis(i64::try_from(millis).unwrap_or(i64::MAX))
}
