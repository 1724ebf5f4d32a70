//! Durations that frameworks ask for (health-check timings, kill grace periods), turned into
//! [`Duration`]s without panics or overflow: a value that is negative or not a number counts as
//! absent, and anything longer than [`LONGEST`] (infinity included) is [`LONGEST`]. Pure.
//!
//! Neither Mesos nor Marathon bound these from above (Marathon only asks for at least 0), and
//! `Duration::from_secs_f64` panics past about 1.8e19 seconds.

use std::time::Duration;

/// The longest the agent waits for anything a framework asks: 2^31 − 1 seconds, about 68 years.
/// Long enough to mean "never" for any check or grace period; short enough that adding it to a
/// reading of any clock cannot overflow.
pub const LONGEST: Duration = Duration::from_secs(i32::MAX as u64);

/// `seconds` as a duration of at most [`LONGEST`]; `None` when negative or not a number.
pub fn from_seconds(seconds: f64) -> Option<Duration> {
    if seconds.is_nan() || seconds < 0.0 {
        return None;
    }
    if seconds >= LONGEST.as_secs_f64() {
        return Some(LONGEST);
    }
    // Finite, not negative (`abs` turns -0.0 into 0.0) and short: the conversion cannot fail.
    Some(Duration::try_from_secs_f64(seconds.abs()).unwrap_or(LONGEST))
}

/// Mesos' `DurationInfo` (signed nanoseconds) as a duration: at least zero, at most [`LONGEST`].
pub fn from_nanoseconds(nanoseconds: i64) -> Duration {
    Duration::from_nanos(u64::try_from(nanoseconds).unwrap_or(0)).min(LONGEST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn check_seconds(seconds: f64, expected: Option<Duration>) {
        assert_eq!(from_seconds(seconds), expected, "{seconds} s");
    }

    #[test]
    fn seconds_become_durations_within_bounds() {
        check_seconds(0.0, Some(Duration::ZERO));
        check_seconds(-0.0, Some(Duration::ZERO));
        check_seconds(2.5, Some(Duration::from_millis(2_500)));
        check_seconds(1e-12, Some(Duration::ZERO));
        check_seconds(1e20, Some(LONGEST));
        check_seconds(f64::MAX, Some(LONGEST));
        check_seconds(f64::INFINITY, Some(LONGEST));
        check_seconds(-1.0, None);
        check_seconds(f64::NEG_INFINITY, None);
        check_seconds(f64::NAN, None);
        check_seconds(-f64::NAN, None);
    }

    #[test]
    fn nanoseconds_become_durations_within_bounds() {
        assert_eq!(from_nanoseconds(1_500_000_000), Duration::from_millis(1_500));
        assert_eq!(from_nanoseconds(0), Duration::ZERO);
        assert_eq!(from_nanoseconds(-1), Duration::ZERO);
        assert_eq!(from_nanoseconds(i64::MIN), Duration::ZERO);
        assert_eq!(from_nanoseconds(i64::MAX), LONGEST);
    }

    #[test]
    fn the_longest_duration_can_be_added_to_now() {
        assert!(std::time::Instant::now().checked_add(LONGEST).is_some());
        assert!(tokio::time::Instant::now().checked_add(LONGEST).is_some());
    }

    proptest! {
        #[test]
        fn any_number_of_seconds_is_converted_without_panicking(seconds in proptest::num::f64::ANY) {
            match from_seconds(seconds) {
                Some(duration) => {
                    prop_assert!(seconds >= 0.0);
                    prop_assert!(duration <= LONGEST);
                    let asked = seconds.min(LONGEST.as_secs_f64());
                    prop_assert!((duration.as_secs_f64() - asked).abs() <= 2e-9 + asked * f64::EPSILON);
                }
                None => prop_assert!(seconds.is_nan() || seconds < 0.0),
            }
        }

        #[test]
        fn any_number_of_nanoseconds_is_converted_without_panicking(nanoseconds in any::<i64>()) {
            let duration = from_nanoseconds(nanoseconds);
            prop_assert!(duration <= LONGEST);
            prop_assert_eq!(duration.is_zero(), nanoseconds <= 0);
        }
    }
}
