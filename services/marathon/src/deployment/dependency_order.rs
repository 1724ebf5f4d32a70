//! Orders apps by their dependencies the way Marathon's `DeploymentPlan.runSpecsGroupedByLongestPath`
//! does: an app's depth is the length of the longest dependency chain that starts at it (1 for an
//! app without dependencies), and apps of equal depth form one layer that deploys in parallel.
//! Dependencies on apps outside the graph are ignored; a cycle is an error.

use std::collections::{BTreeMap, BTreeSet};

use super::app::{AppId, AppSpec};
use super::plan::PlanError;

/// The apps picked by `selected`, grouped in layers of equal depth, shallowest (dependencies)
/// first; within a layer, by id. Depths are measured in the whole graph `apps`.
pub(super) fn layers<'a>(
    apps: &BTreeMap<AppId, &'a AppSpec>,
    selected: impl Fn(&AppId) -> bool,
) -> Result<Vec<Vec<&'a AppSpec>>, PlanError> {
    let mut depths = Depths { apps, known: BTreeMap::new(), visiting: Vec::new() };
    let mut by_depth: BTreeMap<usize, Vec<&'a AppSpec>> = BTreeMap::new();
    for (id, app) in apps {
        if selected(id) {
            let depth = depths.of(id)?;
            by_depth.entry(depth).or_default().push(app);
        }
    }
    Ok(by_depth.into_values().collect())
}

struct Depths<'g, 'a> {
    apps: &'g BTreeMap<AppId, &'a AppSpec>,
    known: BTreeMap<AppId, usize>,
    /// The chain being explored, to report a cycle.
    visiting: Vec<AppId>,
}

impl Depths<'_, '_> {
    fn of(&mut self, id: &AppId) -> Result<usize, PlanError> {
        if let Some(depth) = self.known.get(id) {
            return Ok(*depth);
        }
        if let Some(start) = self.visiting.iter().position(|seen| seen == id) {
            let cycle: BTreeSet<AppId> = self.visiting[start..].iter().cloned().collect();
            return Err(PlanError::DependencyCycle(cycle.into_iter().collect()));
        }
        let Some(app) = self.apps.get(id) else { return Ok(0) };
        self.visiting.push(id.clone());
        let mut deepest = 0;
        for dependency in &app.dependencies {
            if self.apps.contains_key(dependency) {
                deepest = deepest.max(self.of(dependency)?);
            }
        }
        self.visiting.pop();
        self.known.insert(id.clone(), deepest + 1);
        Ok(deepest + 1)
    }
}
