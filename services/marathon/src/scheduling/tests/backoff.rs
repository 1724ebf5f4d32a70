//! Launch backoff: the delay grows with each failure up to its cap and is forgotten after a quiet
//! period, a reset, or a new configuration.

use std::time::{Duration, Instant};

use super::*;

enum Step {
    /// A task fails at this many milliseconds; launches may resume this many milliseconds later.
    Fail {
        at: u64,
        waits: u64,
    },
    Reset,
    /// At this time: milliseconds left, and whether the delay is overdue.
    Expect {
        at: u64,
        left: u64,
        overdue: bool,
    },
}

fn check(policy: BackoffPolicy, steps: &[Step]) {
    let start = Instant::now();
    let ms = |at: u64| start + Duration::from_millis(at);
    let mut backoff = LaunchBackoff::new(policy);
    for (n, step) in steps.iter().enumerate() {
        match *step {
            Step::Fail { at, waits } => assert_eq!(backoff.record_failure(ms(at)), ms(at + waits), "step {n}"),
            Step::Reset => backoff.reset(),
            Step::Expect { at, left, overdue } => {
                let now = ms(at);
                assert_eq!(backoff.time_left(now), Duration::from_millis(left), "step {n}: time left");
                assert_eq!(backoff.overdue(now), overdue, "step {n}: overdue");
                assert_eq!(backoff.delay_until(now), (left > 0).then(|| now + Duration::from_millis(left)), "step {n}");
            }
        }
    }
}

fn policy(backoff: f64, factor: f64, max: f64) -> BackoffPolicy {
    BackoffPolicy::from_seconds(backoff, factor, max)
}

#[test]
fn each_failure_multiplies_the_delay_up_to_the_cap() {
    use Step::*;
    check(
        policy(1.0, 2.0, 10.0),
        &[
            Expect { at: 0, left: 0, overdue: false },
            Fail { at: 0, waits: 1000 },
            Expect { at: 0, left: 1000, overdue: false },
            Expect { at: 400, left: 600, overdue: false },
            Expect { at: 1000, left: 0, overdue: false },
            Expect { at: 1001, left: 0, overdue: true },
            Fail { at: 1500, waits: 2000 },
            Fail { at: 2000, waits: 4000 },
            Fail { at: 2500, waits: 8000 },
            Fail { at: 3000, waits: 10000 },
            Fail { at: 3500, waits: 10000 },
            Expect { at: 13499, left: 1, overdue: false },
        ],
    );
}

#[test]
fn marathons_defaults_grow_by_fifteen_percent() {
    use Step::*;
    check(
        BackoffPolicy::default(),
        &[
            Fail { at: 0, waits: 1000 },
            Fail { at: 10, waits: 1150 },
            // 1322.5 ms, in whole milliseconds.
            Fail { at: 20, waits: 1323 },
            Expect { at: 20, left: 1323, overdue: false },
        ],
    );
    assert_eq!(BackoffPolicy::default(), policy(1.0, 1.15, 300.0));
}

#[test]
fn the_delay_is_forgotten_after_a_quiet_period_or_a_reset() {
    use Step::*;
    check(
        policy(1.0, 2.0, 10.0),
        &[
            Fail { at: 0, waits: 1000 },
            Fail { at: 0, waits: 2000 },
            // Overdue until no failure for the 10 s cap...
            Expect { at: 10_000, left: 0, overdue: true },
            // ...then forgotten: the next failure starts from the beginning.
            Expect { at: 10_001, left: 0, overdue: false },
            Fail { at: 10_001, waits: 1000 },
            Fail { at: 10_002, waits: 2000 },
            Reset,
            Expect { at: 10_003, left: 0, overdue: false },
            Fail { at: 10_003, waits: 1000 },
        ],
    );
}

#[test]
fn odd_policies_stay_within_the_cap() {
    use Step::*;
    // A first delay above the cap is cut to it.
    check(policy(60.0, 2.0, 5.0), &[Fail { at: 0, waits: 5000 }, Fail { at: 1, waits: 5000 }]);
    // A factor below 1 shrinks the delay; nonsense amounts count as 0.
    check(policy(4.0, 0.5, 10.0), &[Fail { at: 0, waits: 4000 }, Fail { at: 1, waits: 2000 }]);
    check(policy(f64::NAN, -1.0, 10.0), &[Fail { at: 0, waits: 0 }, Expect { at: 0, left: 0, overdue: false }]);
    check(policy(1.0, f64::INFINITY, 3.0), &[Fail { at: 0, waits: 1000 }, Fail { at: 1, waits: 0 }]);
}

#[test]
fn the_queue_shows_whole_seconds_left() {
    let start = Instant::now();
    let mut backoff = LaunchBackoff::new(policy(2.5, 2.0, 300.0));
    backoff.record_failure(start);
    let delay = backoff.queue_delay(start);
    assert_eq!(delay, QueueDelay { time_left_seconds: 2, overdue: false });
    assert_eq!(serde_json::to_value(delay).unwrap(), serde_json::json!({"timeLeftSeconds": 2, "overdue": false}));
    assert_eq!(backoff.deadline(start), Some(start + Duration::from_millis(2500)));
    let later = start + Duration::from_secs(3);
    assert_eq!(backoff.queue_delay(later), QueueDelay { time_left_seconds: 0, overdue: true });
}

#[test]
fn delays_too_long_for_the_clock_are_held_to_marathons_longest_and_never_overflow() {
    use Step::*;
    let longest = u64::try_from(LONGEST_DELAY.as_millis()).unwrap();
    let huge = i64::MAX as f64;
    // The app of the issue: `maxLaunchDelaySeconds: 9223372036854775807` and a failing command.
    check(
        policy(1.0, 2.0, huge),
        &[Fail { at: 0, waits: 1000 }, Fail { at: 1, waits: 2000 }, Expect { at: 2, left: 1999, overdue: false }],
    );
    // Every field at its most: each failure waits the longest delay.
    check(
        policy(huge, f64::MAX, huge),
        &[
            Fail { at: 0, waits: longest },
            Fail { at: 1, waits: longest },
            Expect { at: 1, left: longest, overdue: false },
        ],
    );
    assert_eq!(policy(1e300, 1.15, f64::INFINITY).backoff, LONGEST_DELAY);
    assert_eq!(policy(1e300, 1.15, f64::INFINITY).max_launch_delay, LONGEST_DELAY);
}
