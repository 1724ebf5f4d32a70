//! Where an app's tasks run, counted per value of each field its constraints look at, so that checking
//! the constraints against an offer costs a few map lookups however many tasks the app has.
//!
//! Marathon checks constraints against the app's running and staged tasks of its current
//! configuration (tasks of an older config change do not count); the caller chooses which
//! placements to pass.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use corral_wire::mesos::{AgentId, Attribute, Offer};

use super::constraint::{Constraint, ConstraintField};

/// The agent a task runs on (or would run on): what constraints compare.
#[derive(Debug, Clone, PartialEq)]
pub struct Placement {
    pub agent_id: AgentId,
    pub hostname: String,
    pub attributes: Vec<Attribute>,
}

impl Placement {
    /// The agent an offer comes from.
    pub fn of_offer(offer: &Offer) -> Placement {
        Placement {
            agent_id: offer.agent_id.clone(),
            hostname: offer.hostname.clone(),
            attributes: offer.attributes.clone(),
        }
    }

    /// The field's value here as constraints compare it; `None` when the agent lacks the attribute.
    pub fn value_of(&self, field: &ConstraintField) -> Option<Cow<'_, str>> {
        match field {
            ConstraintField::Hostname => Some(Cow::Borrowed(&self.hostname)),
            ConstraintField::Attribute(name) => {
                self.attributes.iter().find(|attribute| &attribute.name == name).map(attribute_text)
            }
        }
    }
}

/// An attribute's value as text: TEXT as it is, SCALAR as `Attribute::value_text` prints it (`3`,
/// `2.5`), RANGES as `[1-3,5-5]` and SET as `{a,b}` (sorted), Mesos' forms that Marathon compares.
pub fn attribute_text(attribute: &Attribute) -> Cow<'_, str> {
    if let Some(text) = &attribute.text {
        return Cow::Borrowed(&text.value);
    }
    if let Some(ranges) = &attribute.ranges {
        let mut ranges: Vec<_> = ranges.range.iter().map(|r| (r.begin, r.end)).collect();
        ranges.sort_unstable();
        let parts: Vec<String> = ranges.iter().map(|(begin, end)| format!("{begin}-{end}")).collect();
        return Cow::Owned(format!("[{}]", parts.join(",")));
    }
    if let Some(set) = &attribute.set {
        let mut items: Vec<&str> = set.item.iter().map(String::as_str).collect();
        items.sort_unstable();
        return Cow::Owned(format!("{{{}}}", items.join(",")));
    }
    Cow::Owned(attribute.value_text())
}

/// How an app's tasks are spread over the values of one field.
#[derive(Debug, Clone, Default)]
pub(super) struct FieldTally {
    by_value: HashMap<String, usize>,
    /// Tasks on agents that lack the attribute: one more group of their own, as in Marathon.
    missing: usize,
    /// How many groups have each size; the first key is the smallest group's size.
    group_sizes: BTreeMap<usize, usize>,
    /// The value of the first task counted (`Some(None)`: its agent lacked the attribute).
    first: Option<Option<String>>,
}

impl FieldTally {
    fn add(&mut self, value: Option<&str>) {
        if self.first.is_none() {
            self.first = Some(value.map(str::to_string));
        }
        let before = match value {
            Some(value) => match self.by_value.get_mut(value) {
                Some(count) => {
                    *count += 1;
                    *count - 1
                }
                None => {
                    self.by_value.insert(value.to_string(), 1);
                    0
                }
            },
            None => {
                self.missing += 1;
                self.missing - 1
            }
        };
        if before > 0 {
            if let Some(groups) = self.group_sizes.get_mut(&before) {
                *groups -= 1;
                if *groups == 0 {
                    self.group_sizes.remove(&before);
                }
            }
        }
        *self.group_sizes.entry(before + 1).or_default() += 1;
    }

    /// Tasks on agents whose field has this value.
    pub(super) fn count(&self, value: &str) -> usize {
        self.by_value.get(value).copied().unwrap_or(0)
    }

    /// Distinct values among the tasks (agents without the attribute count as one more).
    pub(super) fn groups(&self) -> usize {
        self.by_value.len() + usize::from(self.missing > 0)
    }

    /// The size of the smallest group; `None` while nothing is counted.
    pub(super) fn smallest_group(&self) -> Option<usize> {
        self.group_sizes.keys().next().copied()
    }

    /// The value of the first task counted.
    pub(super) fn first_value(&self) -> Option<Option<&str>> {
        self.first.as_ref().map(Option::as_deref)
    }
}

/// An app's placed tasks, counted for its constraints. Built once per matching round and grown
/// as the round places tasks, so constraints see the tasks placed earlier in the same offer.
#[derive(Debug, Clone, Default)]
pub struct AppPlacements {
    tallies: HashMap<ConstraintField, FieldTally>,
    total: usize,
}

static NOTHING_PLACED: std::sync::LazyLock<FieldTally> = std::sync::LazyLock::new(FieldTally::default);

impl AppPlacements {
    /// Counts `placed` for the fields of `constraints` (the constraints the app's tasks are matched with).
    pub fn new<'a>(constraints: &[Constraint], placed: impl IntoIterator<Item = &'a Placement>) -> AppPlacements {
        let mut tallies = HashMap::new();
        for constraint in constraints {
            tallies.entry(constraint.field().clone()).or_insert_with(FieldTally::default);
        }
        let mut placements = AppPlacements { tallies, total: 0 };
        for placement in placed {
            placements.add(placement);
        }
        placements
    }

    /// Counts one more task on this agent.
    pub fn add(&mut self, placement: &Placement) {
        self.total += 1;
        for (field, tally) in &mut self.tallies {
            tally.add(placement.value_of(field).as_deref());
        }
    }

    /// How many tasks are counted.
    pub fn len(&self) -> usize {
        self.total
    }

    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The first of `constraints` that one more task on this agent would break.
    pub fn unmet<'c>(&self, constraints: &'c [Constraint], agent: &Placement) -> Option<&'c Constraint> {
        constraints.iter().find(|constraint| {
            // A field these placements were not built for counts as nothing placed.
            let tally = self.tallies.get(constraint.field()).unwrap_or(&NOTHING_PLACED);
            !constraint.allows(agent.value_of(constraint.field()).as_deref(), tally)
        })
    }
}
