//! [`Register`]: the sequential model of one znode used as a register: its data and the version
//! ZooKeeper counts up on every set, read, overwritten (`set` with version -1) or
//! compare-and-set (`set` with the version the writer expects).

use std::collections::HashSet;

use super::{Model, Operation};

/// A register's value and version, as a read answers them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Versioned {
    pub value: u64,
    pub version: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterInput {
    Read,
    /// Overwrites whatever is there.
    Write(u64),
    /// Writes `value` only if the version is `expected`.
    Cas {
        expected: i64,
        value: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegisterOutput {
    Read(Versioned),
    /// A write or a successful compare-and-set, with the version it produced.
    Written {
        version: i64,
    },
    /// A compare-and-set that found another version (and changed nothing).
    BadVersion,
}

/// The model: every write bumps the version by one.
#[derive(Debug, Clone, Copy, Default)]
pub struct Register;

impl Model for Register {
    type State = Versioned;
    type Input = RegisterInput;
    type Output = RegisterOutput;

    fn step(&self, state: &Versioned, input: &RegisterInput) -> (Versioned, RegisterOutput) {
        let write = |value| {
            let next = Versioned { value, version: state.version + 1 };
            (next, RegisterOutput::Written { version: next.version })
        };
        match *input {
            RegisterInput::Read => (*state, RegisterOutput::Read(*state)),
            RegisterInput::Write(value) => write(value),
            RegisterInput::Cas { expected, value } if expected == state.version => write(value),
            RegisterInput::Cas { .. } => (*state, RegisterOutput::BadVersion),
        }
    }
}

/// What a lost write of a value no read returned writes instead: nothing can tell them apart.
pub(crate) const UNREAD: u64 = u64::MAX;

/// Replaces the value of every write and compare-and-set with an unknown outcome whose value no
/// read returned by [`UNREAD`]. Exact: no read can tell the difference. Lost writes then have equal
/// inputs, so the search treats them as interchangeable instead of trying every subset of them.
pub fn hide_unread_values(history: &mut [Operation<RegisterInput, RegisterOutput>]) {
    let read: HashSet<u64> = history
        .iter()
        .filter_map(|op| match op.completed.as_ref()?.output {
            RegisterOutput::Read(versioned) => Some(versioned.value),
            _ => None,
        })
        .collect();
    for op in history.iter_mut().filter(|op| op.completed.is_none()) {
        match &mut op.input {
            RegisterInput::Write(value) | RegisterInput::Cas { value, .. } if !read.contains(value) => *value = UNREAD,
            _ => {}
        }
    }
}
