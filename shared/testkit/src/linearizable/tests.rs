//! Hand-written small histories of one register, each with the verdict it must get: plain reads
//! and writes, compare-and-set by version, operations that touch in time, and operations whose
//! outcome is unknown.

use super::*;

type Op = Operation<RegisterInput, RegisterOutput>;

fn done(client: usize, invoked: u64, at: u64, input: RegisterInput, output: RegisterOutput) -> Op {
    Operation { client, input, invoked, completed: Some(Completed { at, output }) }
}

fn read(client: usize, invoked: u64, at: u64, value: u64, version: i64) -> Op {
    done(client, invoked, at, RegisterInput::Read, RegisterOutput::Read(Versioned { value, version }))
}

fn write(client: usize, invoked: u64, at: u64, value: u64, version: i64) -> Op {
    done(client, invoked, at, RegisterInput::Write(value), RegisterOutput::Written { version })
}

fn cas(client: usize, invoked: u64, at: u64, expected: i64, value: u64, version: Option<i64>) -> Op {
    let output = version.map_or(RegisterOutput::BadVersion, |version| RegisterOutput::Written { version });
    done(client, invoked, at, RegisterInput::Cas { expected, value }, output)
}

/// A write whose answer was lost: it may have happened any time after `invoked`, or never.
fn lost_write(client: usize, invoked: u64, value: u64) -> Op {
    Operation { client, input: RegisterInput::Write(value), invoked, completed: None }
}

fn check_history(history: &[Op], linearizable: bool) {
    let verdict = check(&Register, Versioned { value: 0, version: 0 }, history, Duration::from_secs(10));
    assert_eq!(verdict.is_linearizable(), linearizable, "{verdict:?} for {history:#?}");
}

#[test]
fn an_empty_history_is_linearizable() {
    check_history(&[], true);
}

#[test]
fn a_read_sees_the_write_that_completed_before_it() {
    check_history(&[write(0, 0, 10, 1, 1), read(1, 20, 30, 1, 1)], true);
    check_history(&[write(0, 0, 10, 1, 1), read(1, 20, 30, 0, 0)], false);
    // A stale read is stale whatever the clients: the same client or another.
    check_history(&[write(0, 0, 10, 1, 1), read(0, 20, 30, 0, 0)], false);
}

#[test]
fn a_read_concurrent_with_a_write_may_see_either_value() {
    check_history(&[write(0, 0, 10, 1, 1), read(1, 5, 15, 0, 0)], true);
    check_history(&[write(0, 0, 10, 1, 1), read(1, 5, 15, 1, 1)], true);
    // Operations that only touch in time are concurrent too.
    check_history(&[write(0, 0, 10, 1, 1), read(1, 10, 15, 0, 0)], true);
}

#[test]
fn once_a_read_sees_the_new_value_no_later_read_sees_the_old_one() {
    let history = [write(0, 0, 100, 1, 1), read(1, 10, 20, 1, 1), read(2, 30, 40, 0, 0)];
    check_history(&history, false);
    let history = [write(0, 0, 100, 1, 1), read(1, 10, 20, 0, 0), read(2, 30, 40, 1, 1)];
    check_history(&history, true);
}

#[test]
fn concurrent_writes_take_one_order_that_every_reader_agrees_on() {
    let writes = [write(0, 0, 10, 1, 1), write(1, 0, 10, 2, 2)];
    check_history(&[writes[0].clone(), writes[1].clone(), read(2, 20, 30, 2, 2), read(3, 40, 50, 2, 2)], true);
    check_history(&[writes[0].clone(), writes[1].clone(), read(2, 20, 30, 1, 1)], false);
    // The versions they answered tell the order: 2 was written second, so 1 cannot be last.
    let flipped = [write(0, 0, 10, 1, 2), write(1, 0, 10, 2, 1)];
    check_history(&[flipped[0].clone(), flipped[1].clone(), read(2, 20, 30, 1, 2)], true);
    check_history(&[flipped[0].clone(), flipped[1].clone(), read(2, 20, 30, 2, 2)], false);
}

#[test]
fn compare_and_set_succeeds_only_on_the_version_it_expects() {
    check_history(&[cas(0, 0, 10, 0, 7, Some(1)), read(1, 20, 30, 7, 1)], true);
    check_history(&[cas(0, 0, 10, 3, 7, None), read(1, 20, 30, 0, 0)], true);
    check_history(&[cas(0, 0, 10, 0, 7, None)], false);
    check_history(&[cas(0, 0, 10, 3, 7, Some(1))], false);
    // Two concurrent compare-and-sets on the same version: at most one wins.
    check_history(&[cas(0, 0, 10, 0, 7, Some(1)), cas(1, 0, 10, 0, 8, None)], true);
    check_history(&[cas(0, 0, 10, 0, 7, Some(1)), cas(1, 0, 10, 0, 8, Some(1))], false);
}

#[test]
fn a_lost_write_may_have_happened_or_not() {
    check_history(&[lost_write(0, 0, 5), read(1, 20, 30, 5, 1)], true);
    check_history(&[lost_write(0, 0, 5), read(1, 20, 30, 0, 0)], true);
    // ... even long after its client gave up, but not before it was sent.
    check_history(&[lost_write(0, 50, 5), read(1, 20, 30, 5, 1)], false);
    check_history(&[lost_write(0, 0, 5), read(1, 20, 30, 0, 0), read(1, 40, 50, 5, 1)], true);
    // Once seen it stays: it cannot be undone.
    check_history(&[lost_write(0, 0, 5), read(1, 20, 30, 5, 1), read(1, 40, 50, 0, 0)], false);
}

#[test]
fn a_lost_write_happens_at_most_once() {
    // The version 2 of the acknowledged write says the lost one came first ...
    let base = [lost_write(0, 0, 5), write(1, 10, 20, 7, 2)];
    check_history(&[base[0].clone(), base[1].clone(), read(2, 30, 40, 7, 2)], true);
    // ... so it cannot also come after it.
    check_history(&[base[0].clone(), base[1].clone(), read(2, 30, 40, 5, 3)], false);
}

fn lost_cas(client: usize, invoked: u64, expected: i64, value: u64) -> Op {
    Operation { client, input: RegisterInput::Cas { expected, value }, invoked, completed: None }
}

#[test]
fn a_lost_compare_and_set_can_only_have_happened_on_its_version() {
    let base = [lost_cas(0, 0, 1, 9), write(1, 10, 20, 1, 1)];
    check_history(&[base[0].clone(), base[1].clone(), read(2, 30, 40, 9, 2)], true);
    check_history(&[base[0].clone(), base[1].clone(), read(2, 30, 40, 1, 1)], true);
    check_history(&[base[0].clone(), base[1].clone(), read(2, 30, 40, 9, 1)], false);
    check_history(&[lost_cas(0, 0, 1, 9), read(2, 30, 40, 9, 1)], false);
}

#[test]
fn lost_writes_nobody_read_count_only_by_the_versions_they_take() {
    let mut history = vec![lost_write(0, 0, 5), lost_write(1, 0, 6), lost_write(2, 0, 8), write(3, 10, 20, 7, 3)];
    history.push(read(4, 30, 40, 7, 3));
    hide_unread_values(&mut history);
    assert_eq!(history[0].input, RegisterInput::Write(register::UNREAD));
    check_history(&history, true);
    history[3] = write(3, 10, 20, 7, 5);
    history[4] = read(4, 30, 40, 7, 5);
    check_history(&history, false);
    // A value some read returned stays: that lost write is told apart from the others.
    let mut history = vec![lost_write(0, 0, 5), lost_write(1, 0, 6), read(2, 10, 20, 6, 2)];
    hide_unread_values(&mut history);
    assert_eq!(history[1].input, RegisterInput::Write(6));
    check_history(&history, true);
}

#[test]
fn the_verdict_points_at_the_stale_read() {
    let history = [write(0, 0, 10, 1, 1), write(0, 20, 30, 2, 2), read(1, 40, 50, 1, 1)];
    let verdict = check(&Register, Versioned { value: 0, version: 0 }, &history, Duration::from_secs(1));
    let Verdict::NotLinearizable { longest, stuck_at, pending } = verdict else {
        panic!("expected a violation, got {verdict:?}");
    };
    assert_eq!(longest, [0, 1]);
    assert_eq!(stuck_at, 2);
    assert_eq!(pending, [2]);
}

#[test]
fn a_search_past_its_budget_is_undecided() {
    // Twenty lost writes of distinct values, then a read of a value nobody wrote: every subset of
    // the lost writes is tried before the search can say no.
    let mut history: Vec<Op> = (0..20).map(|client| lost_write(client, 0, client as u64 + 1)).collect();
    history.push(read(99, 10, 20, 1_000, 3));
    let verdict = check(&Register, Versioned { value: 0, version: 0 }, &history, Duration::ZERO);
    assert!(matches!(verdict, Verdict::Undecided { .. }), "{verdict:?}");
}

/// A history of a correct register: five clients, each invoking one operation after another;
/// every operation takes effect at a random moment while it runs (a lost one possibly never).
fn simulated_history(seed: u64, operations: usize) -> Vec<Op> {
    let mut rng = seed;
    let mut next = move |bound: u64| {
        rng = rng.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = rng;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        (z ^ (z >> 31)) % bound
    };
    // (moment it takes effect or None, client, input, invoked, completed, lost)
    let mut planned = Vec::new();
    let mut clock = [0u64; 5];
    for index in 0..operations {
        let client = index % 5;
        let invoked = clock[client] + next(5);
        let effect = invoked + 1 + next(20);
        let completed = effect + 1 + next(20);
        clock[client] = completed;
        let input = match next(3) {
            0 => RegisterInput::Read,
            1 => RegisterInput::Write(index as u64 + 1),
            _ => RegisterInput::Cas { expected: next(index as u64 / 3 + 1) as i64, value: index as u64 + 1 },
        };
        let lost = input != RegisterInput::Read && next(10) == 0;
        let takes_effect = !lost || next(2) == 0;
        planned.push((takes_effect.then_some(effect), client, input, invoked, completed, lost));
    }
    let mut order: Vec<usize> = (0..planned.len()).filter(|&index| planned[index].0.is_some()).collect();
    order.sort_by_key(|&index| planned[index].0);
    let mut outputs = vec![None; planned.len()];
    let mut state = Versioned { value: 0, version: 0 };
    for index in order {
        let (after, output) = Register.step(&state, &planned[index].2);
        state = after;
        outputs[index] = Some(output);
    }
    planned
        .into_iter()
        .zip(outputs)
        .map(|((_, client, input, invoked, at, lost), output)| Operation {
            client,
            input,
            invoked,
            completed: output.filter(|_| !lost).map(|output| Completed { at, output }),
        })
        .collect()
}

#[test]
fn a_long_history_of_a_correct_register_is_linearizable_and_one_stale_read_is_not() {
    for seed in 0..5 {
        let mut history = simulated_history(seed, 600);
        hide_unread_values(&mut history);
        check_history(&history, true);
        // Make the last successful read report the initial state, long overwritten by then.
        let last_read = history
            .iter()
            .rposition(
                |op| matches!(op.completed, Some(Completed { output: RegisterOutput::Read(v), .. }) if v.version > 0),
            )
            .expect("a read after some write");
        let completed = history[last_read].completed.as_mut().unwrap();
        completed.output = RegisterOutput::Read(Versioned { value: 0, version: 0 });
        check_history(&history, false);
    }
}
