//! Collects rule violations as Marathon reports them: one `{"path", "errors"}` entry per path, in
//! the order first found, with Marathon's paths (`/` for the whole app, `/upgradeStrategy/...` for
//! fields, `(i)` after a list for its elements) and Marathon's wording for number bounds.

use std::cmp::Ordering;
use std::fmt::Display;

use super::marathon::ErrorDetail;

#[derive(Debug, Default)]
pub(super) struct Violations {
    details: Vec<ErrorDetail>,
}

impl Violations {
    /// Records `error` at `path`; `""` is the whole app.
    pub(super) fn add(&mut self, path: &str, error: impl Into<String>) {
        let path = if path.is_empty() { "/" } else { path };
        let error = error.into();
        match self.details.iter_mut().find(|detail| detail.path == path) {
            Some(detail) if !detail.errors.contains(&error) => detail.errors.push(error),
            Some(_) => {}
            None => self.details.push(ErrorDetail { path: path.to_string(), errors: vec![error] }),
        }
    }

    /// `value >= minimum`, else accord's "got -3, expected 0 or more".
    pub(super) fn at_least<N: PartialOrd + Copy + Display>(
        &mut self,
        path: &str,
        value: N,
        minimum: N,
        show: fn(N) -> String,
    ) {
        if value.partial_cmp(&minimum).is_none_or(|order| order == Ordering::Less) {
            self.add(path, format!("got {}, expected {} or more", show(value), show(minimum)));
        }
    }

    /// `value <= maximum`, else accord's "got 70000, expected 65535 or less".
    pub(super) fn at_most<N: PartialOrd + Copy + Display>(
        &mut self,
        path: &str,
        value: N,
        maximum: N,
        show: fn(N) -> String,
    ) {
        if value.partial_cmp(&maximum).is_none_or(|order| order == Ordering::Greater) {
            self.add(path, format!("got {}, expected {} or less", show(value), show(maximum)));
        }
    }

    /// `low <= value <= high`, else accord's "got 1.2, expected between 0.0 and 1.0".
    pub(super) fn between(&mut self, path: &str, value: f64, low: f64, high: f64) {
        if !(low..=high).contains(&value) {
            self.add(path, format!("got {}, expected between {} and {}", double(value), double(low), double(high)));
        }
    }

    pub(super) fn is_empty(&self) -> bool {
        self.details.is_empty()
    }

    pub(super) fn into_details(self) -> Vec<ErrorDetail> {
        self.details
    }
}

/// An integer as Scala prints it.
pub(super) fn integer<N: Display>(value: N) -> String {
    value.to_string()
}

/// A double as Scala prints it: always with a fraction (`3.0`, `-1.2`).
pub(super) fn double(value: f64) -> String {
    format!("{value:?}")
}

/// `parent/field`.
pub(super) fn field(parent: &str, name: &str) -> String {
    format!("{parent}/{name}")
}

/// `list(i)`: element `i` of the list at `list`.
pub(super) fn element(list: &str, index: usize) -> String {
    format!("{list}({index})")
}
