//! `ResourceSet`: resources as quantities that can be added, subtracted and compared, the way the
//! master's allocator, the agent's port assignment and schedulers' offer matching need them.
//!
//! Scalars are kept in thousandths (Mesos' fixed-point precision) so sums are exact; ranges are
//! kept sorted, merged and non-overlapping; sets as ordered sets. Names are compared exactly.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::resource::{Range, Resource, ValueType};

const SCALE: f64 = 1000.0;

/// A list of resources or a `--resources` text that does not describe valid quantities.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseResourcesError(pub String);

impl fmt::Display for ParseResourcesError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ParseResourcesError {}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourceSet {
    /// Thousandths of a unit.
    scalars: BTreeMap<String, i64>,
    ranges: BTreeMap<String, Vec<(u64, u64)>>,
    sets: BTreeMap<String, BTreeSet<String>>,
}

impl ResourceSet {
    pub fn new() -> Self {
        ResourceSet::default()
    }

    /// Reads Mesos `Resource`s; values must be present, finite and not negative.
    pub fn from_resources(resources: &[Resource]) -> Result<Self, ParseResourcesError> {
        let mut set = ResourceSet::new();
        for resource in resources {
            let name = &resource.name;
            if name.is_empty() {
                return Err(ParseResourcesError("a resource has an empty name".into()));
            }
            match resource.value_type {
                ValueType::Scalar => {
                    let value = resource.scalar.map(|s| s.value).ok_or_else(|| {
                        ParseResourcesError(format!("resource `{name}` is SCALAR but has no `scalar` value"))
                    })?;
                    if !value.is_finite() || value < 0.0 {
                        return Err(ParseResourcesError(format!("resource `{name}` has an invalid amount {value}")));
                    }
                    set.add_scalar(name, value);
                }
                ValueType::Ranges => {
                    let ranges = resource.ranges.as_ref().ok_or_else(|| {
                        ParseResourcesError(format!("resource `{name}` is RANGES but has no `ranges` value"))
                    })?;
                    for range in &ranges.range {
                        if range.begin > range.end {
                            return Err(ParseResourcesError(format!(
                                "resource `{name}` has a range [{}-{}] that ends before it begins",
                                range.begin, range.end
                            )));
                        }
                        set.add_range(name, range.begin, range.end);
                    }
                }
                ValueType::Set => {
                    let items = resource.set.as_ref().ok_or_else(|| {
                        ParseResourcesError(format!("resource `{name}` is SET but has no `set` value"))
                    })?;
                    set.sets.entry(name.clone()).or_default().extend(items.item.iter().cloned());
                }
                ValueType::Text => {
                    return Err(ParseResourcesError(format!("resource `{name}` is TEXT, which is not a quantity")))
                }
            }
        }
        Ok(set)
    }

    /// Parses the agent's `--resources` text: `cpus:2;mem:2048;ports:[31000-32000,33000-33010];zones:{a,b}`.
    pub fn parse(text: &str) -> Result<Self, ParseResourcesError> {
        let mut set = ResourceSet::new();
        for part in text.split(';').map(str::trim).filter(|part| !part.is_empty()) {
            let (name, value) = part
                .split_once(':')
                .ok_or_else(|| ParseResourcesError(format!("`{part}` is not of the form name:value")))?;
            let (name, value) = (name.trim(), value.trim());
            if name.is_empty() {
                return Err(ParseResourcesError(format!("`{part}` is not of the form name:value")));
            }
            if let Some(inner) = value.strip_prefix('[').and_then(|v| v.strip_suffix(']')) {
                for range in inner.split(',').map(str::trim).filter(|r| !r.is_empty()) {
                    let (begin, end) = range.split_once('-').unwrap_or((range, range));
                    let parse = |n: &str| {
                        n.trim()
                            .parse::<u64>()
                            .map_err(|_| ParseResourcesError(format!("`{range}` in `{name}` is not a range")))
                    };
                    let (begin, end) = (parse(begin)?, parse(end)?);
                    if begin > end {
                        return Err(ParseResourcesError(format!("`{range}` in `{name}` ends before it begins")));
                    }
                    set.add_range(name, begin, end);
                }
            } else if let Some(inner) = value.strip_prefix('{').and_then(|v| v.strip_suffix('}')) {
                let items = inner.split(',').map(str::trim).filter(|i| !i.is_empty()).map(String::from);
                set.sets.entry(name.to_string()).or_default().extend(items);
            } else {
                let amount = value
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite() && *v >= 0.0)
                    .ok_or_else(|| ParseResourcesError(format!("`{value}` is not an amount for `{name}`")))?;
                set.add_scalar(name, amount);
            }
        }
        Ok(set)
    }

    /// Mesos `Resource`s with role `*`, scalars first, then ranges, then sets, each by name.
    pub fn to_resources(&self) -> Vec<Resource> {
        let scalars = self.scalars.iter().map(|(name, milli)| Resource::scalar(name, *milli as f64 / SCALE));
        let ranges = self.ranges.iter().filter(|(_, r)| !r.is_empty()).map(|(name, ranges)| {
            Resource::ranges(name, ranges.iter().map(|&(begin, end)| Range { begin, end }).collect())
        });
        let sets = self
            .sets
            .iter()
            .filter(|(_, items)| !items.is_empty())
            .map(|(name, items)| Resource::set(name, items.iter().cloned().collect()));
        scalars.chain(ranges).chain(sets).collect()
    }

    /// The flat form of `/master/state`: `{"cpus":1.0,"mem":128.0,"disk":0.0,"ports":"[31000-31005]"}`.
    pub fn to_flat_json(&self) -> serde_json::Value {
        let mut flat = serde_json::Map::new();
        for name in ["cpus", "mem", "disk", "gpus"] {
            flat.insert(name.to_string(), self.scalar(name).into());
        }
        for (name, milli) in &self.scalars {
            flat.insert(name.clone(), (*milli as f64 / SCALE).into());
        }
        for (name, ranges) in &self.ranges {
            let text: Vec<String> = ranges.iter().map(|(b, e)| format!("{b}-{e}")).collect();
            flat.insert(name.clone(), format!("[{}]", text.join(", ")).into());
        }
        for (name, items) in &self.sets {
            let text: Vec<&str> = items.iter().map(String::as_str).collect();
            flat.insert(name.clone(), format!("{{{}}}", text.join(", ")).into());
        }
        serde_json::Value::Object(flat)
    }

    pub fn add_scalar(&mut self, name: &str, value: f64) {
        let milli = (value * SCALE).round() as i64;
        if milli != 0 {
            let total = self.scalars.entry(name.to_string()).or_default();
            *total = total.saturating_add(milli);
        }
    }

    pub fn add_range(&mut self, name: &str, begin: u64, end: u64) {
        let ranges = self.ranges.entry(name.to_string()).or_default();
        ranges.push((begin, end));
        normalize(ranges);
    }

    /// The amount of a scalar resource, 0 when absent.
    pub fn scalar(&self, name: &str) -> f64 {
        self.scalars.get(name).map_or(0.0, |milli| *milli as f64 / SCALE)
    }

    /// The ranges of a range resource (sorted, merged), empty when absent.
    pub fn ranges(&self, name: &str) -> &[(u64, u64)] {
        self.ranges.get(name).map_or(&[], Vec::as_slice)
    }

    /// Every value of the named range resource in order (ports: the individual port numbers).
    pub fn range_values<'a>(&'a self, name: &str) -> impl Iterator<Item = u64> + 'a {
        self.ranges(name).iter().flat_map(|&(begin, end)| begin..=end)
    }

    pub fn scalar_names(&self) -> impl Iterator<Item = &str> {
        self.scalars.keys().map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.scalars.values().all(|v| *v == 0)
            && self.ranges.values().all(Vec::is_empty)
            && self.sets.values().all(BTreeSet::is_empty)
    }

    /// Whether every quantity in `other` is available here.
    pub fn contains(&self, other: &ResourceSet) -> bool {
        self.shortfall(other).is_none()
    }

    /// What `other` asks for beyond what is here, said in a sentence; `None` when it all fits.
    pub fn shortfall(&self, other: &ResourceSet) -> Option<String> {
        for (name, wanted) in &other.scalars {
            let have = self.scalars.get(name).copied().unwrap_or(0);
            if *wanted > have {
                return Some(format!("{name}: {} wanted, {} available", *wanted as f64 / SCALE, have as f64 / SCALE));
            }
        }
        for (name, wanted) in &other.ranges {
            let have = self.ranges(name);
            if let Some(&(begin, end)) = wanted.iter().find(|range| !covered(have, **range)) {
                return Some(format!("{name}: [{begin}-{end}] is not among the available {name}"));
            }
        }
        for (name, wanted) in &other.sets {
            let have = self.sets.get(name);
            if let Some(item) = wanted.iter().find(|item| !have.is_some_and(|h| h.contains(*item))) {
                return Some(format!("{name}: `{item}` is not available"));
            }
        }
        None
    }

    pub fn add(&mut self, other: &ResourceSet) {
        for (name, milli) in &other.scalars {
            let total = self.scalars.entry(name.clone()).or_default();
            *total = total.saturating_add(*milli);
        }
        for (name, ranges) in &other.ranges {
            let mine = self.ranges.entry(name.clone()).or_default();
            mine.extend_from_slice(ranges);
            normalize(mine);
        }
        for (name, items) in &other.sets {
            self.sets.entry(name.clone()).or_default().extend(items.iter().cloned());
        }
    }

    /// Takes `other` away; quantities never go below zero (callers check `contains` first).
    pub fn subtract(&mut self, other: &ResourceSet) {
        for (name, milli) in &other.scalars {
            if let Some(mine) = self.scalars.get_mut(name) {
                *mine = (*mine - milli).max(0);
                if *mine == 0 {
                    self.scalars.remove(name);
                }
            }
        }
        for (name, ranges) in &other.ranges {
            if let Some(mine) = self.ranges.get_mut(name) {
                for &range in ranges {
                    remove_range(mine, range);
                }
                if mine.is_empty() {
                    self.ranges.remove(name);
                }
            }
        }
        for (name, items) in &other.sets {
            if let Some(mine) = self.sets.get_mut(name) {
                mine.retain(|item| !items.contains(item));
            }
        }
    }

    pub fn plus(&self, other: &ResourceSet) -> ResourceSet {
        let mut sum = self.clone();
        sum.add(other);
        sum
    }

    pub fn minus(&self, other: &ResourceSet) -> ResourceSet {
        let mut rest = self.clone();
        rest.subtract(other);
        rest
    }
}

impl fmt::Display for ResourceSet {
    /// The `--resources` text form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        for (name, milli) in &self.scalars {
            parts.push(format!("{name}:{}", *milli as f64 / SCALE));
        }
        for (name, ranges) in &self.ranges {
            let text: Vec<String> = ranges.iter().map(|(b, e)| format!("{b}-{e}")).collect();
            parts.push(format!("{name}:[{}]", text.join(",")));
        }
        for (name, items) in &self.sets {
            let text: Vec<&str> = items.iter().map(String::as_str).collect();
            parts.push(format!("{name}:{{{}}}", text.join(",")));
        }
        f.write_str(&parts.join(";"))
    }
}

fn normalize(ranges: &mut Vec<(u64, u64)>) {
    ranges.sort_unstable();
    let mut merged: Vec<(u64, u64)> = Vec::with_capacity(ranges.len());
    for &(begin, end) in ranges.iter() {
        match merged.last_mut() {
            Some(last) if begin <= last.1.saturating_add(1) => last.1 = last.1.max(end),
            _ => merged.push((begin, end)),
        }
    }
    *ranges = merged;
}

fn covered(have: &[(u64, u64)], (begin, end): (u64, u64)) -> bool {
    have.iter().any(|&(b, e)| b <= begin && end <= e)
}

fn remove_range(ranges: &mut Vec<(u64, u64)>, (begin, end): (u64, u64)) {
    let mut kept = Vec::with_capacity(ranges.len() + 1);
    for &(b, e) in ranges.iter() {
        if e < begin || b > end {
            kept.push((b, e));
            continue;
        }
        if b < begin {
            kept.push((b, begin - 1));
        }
        if e > end {
            kept.push((end + 1, e));
        }
    }
    *ranges = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(text: &str) -> ResourceSet {
        ResourceSet::parse(text).unwrap()
    }

    #[test]
    fn parses_the_agent_flag_and_prints_it_back() {
        let resources = set("cpus:2;mem:2048.5;ports:[31000-31005,31003-31010,32000-32000];zones:{a,b}");
        assert_eq!(resources.to_string(), "cpus:2;mem:2048.5;ports:[31000-31010,32000-32000];zones:{a,b}");
        assert_eq!(resources.range_values("ports").count(), 12);
        for bad in ["cpus", "cpus:-1", "cpus:x", "ports:[5-3]", "ports:[a-b]"] {
            assert!(ResourceSet::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn arithmetic_is_exact_and_ranges_split() {
        let total = set("cpus:1;mem:100;ports:[31000-31010]");
        let used = set("cpus:0.1;mem:100;ports:[31005-31005]");
        assert!(total.contains(&used));
        let rest = total.minus(&used);
        assert_eq!(rest.to_string(), "cpus:0.9;ports:[31000-31004,31006-31010]");
        assert_eq!(rest.plus(&used), total);
        let mut many = ResourceSet::new();
        for _ in 0..10 {
            many.add(&set("cpus:0.1"));
        }
        assert_eq!(many, set("cpus:1"));
    }

    #[test]
    fn shortfall_names_what_is_missing() {
        let offered = set("cpus:1;mem:128;ports:[31000-31001]");
        assert_eq!(offered.shortfall(&set("cpus:2")).unwrap(), "cpus: 2 wanted, 1 available");
        assert!(offered.shortfall(&set("ports:[31002-31002]")).unwrap().contains("[31002-31002]"));
        assert!(offered.shortfall(&set("disk:1")).is_some());
        assert!(offered.shortfall(&set("cpus:1;ports:[31000-31001]")).is_none());
    }

    #[test]
    fn round_trips_mesos_resources() {
        let resources = set("cpus:0.5;mem:64;ports:[31000-31002]");
        let back = ResourceSet::from_resources(&resources.to_resources()).unwrap();
        assert_eq!(back, resources);
        let json = serde_json::to_value(resources.to_resources()).unwrap();
        assert_eq!(json[0], serde_json::json!({"name":"cpus","type":"SCALAR","scalar":{"value":0.5},"role":"*"}));
        assert_eq!(resources.to_flat_json()["ports"], "[31000-31002]");
    }
}
