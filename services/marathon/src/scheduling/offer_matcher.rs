//! Placing tasks into one offer: each placed task takes its resources from what is left, so one
//! ACCEPT can launch many tasks, of one app or several, and never hands a port out twice.
//!
//! Scalars are taken from the accepted roles in the order the offer lists them, as Marathon does,
//! and compared in thousandths (`ResourceSet`'s precision), so `0.1` ten times is exactly `1`.

use corral_wire::mesos::{Offer, ParseResourcesError, Resource, ResourceSet};

use super::host_ports::{choose_host_ports, HostPort, OfferedRange};
use super::placements::{AppPlacements, Placement};
use super::requirements::{NoMatch, PortRequest, TaskRequirements};

const PORTS: &str = "ports";

/// What is left of one offer while tasks are placed into it.
#[derive(Debug, Clone)]
pub struct OfferMatcher {
    agent: Placement,
    /// What is left, by role, in the order the offer first names each role.
    left: Vec<(String, ResourceSet)>,
    /// Where dynamic host ports start (see `host_ports.rs`).
    port_start: u64,
}

/// The resources chosen for one task.
#[derive(Debug, Clone, PartialEq)]
pub struct TaskResources {
    /// By role, roles in the offer's order; only roles something was taken from.
    pub by_role: Vec<(String, ResourceSet)>,
    /// One per `PortRequest`, in their order; `None` for `NoHostPort`.
    pub host_ports: Vec<Option<u16>>,
}

impl TaskResources {
    /// Everything taken, whatever the role.
    pub fn total(&self) -> ResourceSet {
        let mut total = ResourceSet::new();
        for (_, resources) in &self.by_role {
            total.add(resources);
        }
        total
    }

    /// The host ports taken, in request order: the task's `ports` in Marathon's JSON.
    pub fn ports(&self) -> Vec<u16> {
        self.host_ports.iter().flatten().copied().collect()
    }

    /// Mesos resources for the task's `TaskInfo`, each with the role it was offered in.
    pub fn to_resources(&self) -> Vec<Resource> {
        let mut resources = Vec::new();
        for (role, set) in &self.by_role {
            resources.extend(
                set.to_resources().into_iter().map(|resource| Resource { role: Some(role.clone()), ..resource }),
            );
        }
        resources
    }
}

impl OfferMatcher {
    /// Everything the offer holds is left; an offer whose resources are not valid quantities is refused.
    pub fn new(offer: &Offer) -> Result<OfferMatcher, ParseResourcesError> {
        let mut by_role: Vec<(String, Vec<Resource>)> = Vec::new();
        for resource in &offer.resources {
            let role = resource.role.as_deref().unwrap_or("*");
            match by_role.iter_mut().find(|(name, _)| name == role) {
                Some((_, resources)) => resources.push(resource.clone()),
                None => by_role.push((role.to_string(), vec![resource.clone()])),
            }
        }
        let left = by_role
            .into_iter()
            .map(|(role, resources)| Ok((role, ResourceSet::from_resources(&resources)?)))
            .collect::<Result<_, ParseResourcesError>>()?;
        Ok(OfferMatcher { agent: Placement::of_offer(offer), left, port_start: 0 })
    }

    /// Dynamic host ports start at the `start`-th offered port (modulo how many are offered)
    /// instead of the lowest: pass something random, or a counter, to spread port reuse.
    pub fn with_port_start(mut self, start: u64) -> OfferMatcher {
        self.port_start = start;
        self
    }

    /// The offer's agent, which every task placed here runs on.
    pub fn agent(&self) -> &Placement {
        &self.agent
    }

    /// What no task has taken yet, whatever the role.
    pub fn left(&self) -> ResourceSet {
        let mut total = ResourceSet::new();
        for (_, resources) in &self.left {
            total.add(resources);
        }
        total
    }

    /// Places one task of the app whose tasks `placed` counts: takes its resources from what is
    /// left and counts it in `placed`, or says why it does not fit (and changes nothing).
    pub fn place(&mut self, task: &TaskRequirements, placed: &mut AppPlacements) -> Result<TaskResources, NoMatch> {
        let roles: Vec<usize> = (0..self.left.len()).filter(|&i| task.accepts_role(&self.left[i].0)).collect();
        if roles.is_empty() {
            return Err(NoMatch::UnfulfilledRole);
        }
        for (resource, wanted) in task.scalars() {
            let wanted_milli = milli(wanted);
            if wanted_milli > 0 {
                let available =
                    roles.iter().map(|&i| milli(self.left[i].1.scalar(resource.name()))).fold(0, i64::saturating_add);
                if available < wanted_milli {
                    return Err(NoMatch::Insufficient { resource, wanted, available: available as f64 / 1000.0 });
                }
            }
        }
        if let Some(constraint) = placed.unmet(&task.constraints, &self.agent) {
            return Err(NoMatch::UnfulfilledConstraint(constraint.clone()));
        }
        let host_ports = self.choose_host_ports(&task.ports, &roles).map_err(NoMatch::InsufficientPorts)?;
        let by_role = self.take(task, &roles, &host_ports);
        placed.add(&self.agent);
        Ok(TaskResources {
            by_role,
            host_ports: host_ports.into_iter().map(|chosen| chosen.map(|(port, _)| port)).collect(),
        })
    }

    /// Takes what `task` needs, known to be there, from the accepted `roles` in order, and the
    /// chosen host ports from their roles; returns what was taken by role.
    fn take(
        &mut self,
        task: &TaskRequirements,
        roles: &[usize],
        host_ports: &[Option<HostPort>],
    ) -> Vec<(String, ResourceSet)> {
        let mut taken: Vec<ResourceSet> = vec![ResourceSet::new(); self.left.len()];
        for (resource, wanted) in task.scalars() {
            let mut wanted = milli(wanted);
            for &i in roles {
                let take = wanted.min(milli(self.left[i].1.scalar(resource.name())));
                if take > 0 {
                    taken[i].add_scalar(resource.name(), take as f64 / 1000.0);
                    wanted -= take;
                }
            }
        }
        for &(port, role) in host_ports.iter().flatten() {
            taken[role].add_range(PORTS, u64::from(port), u64::from(port));
        }
        let mut by_role = Vec::new();
        for (i, taken) in taken.into_iter().enumerate() {
            if !taken.is_empty() {
                self.left[i].1.subtract(&taken);
                by_role.push((self.left[i].0.clone(), taken));
            }
        }
        by_role
    }

    /// Places up to `count` tasks of one app, stopping at the first that does not fit: the tasks
    /// of one app are alike, what is left only shrinks, and one more task on this agent never
    /// makes a constraint easier to meet here, so the next would not fit either.
    pub fn place_up_to(
        &mut self,
        task: &TaskRequirements,
        placed: &mut AppPlacements,
        count: usize,
    ) -> (Vec<TaskResources>, Option<NoMatch>) {
        let mut launched = Vec::new();
        while launched.len() < count {
            match self.place(task, placed) {
                Ok(resources) => launched.push(resources),
                Err(why) => return (launched, Some(why)),
            }
        }
        (launched, None)
    }

    fn choose_host_ports(&self, requests: &[PortRequest], roles: &[usize]) -> Result<Vec<Option<HostPort>>, String> {
        if requests.iter().all(|request| *request == PortRequest::NoHostPort) {
            return Ok(vec![None; requests.len()]);
        }
        let mut offered: Vec<OfferedRange> = roles
            .iter()
            .flat_map(|&role| {
                let ranges = self.left[role].1.ranges(PORTS);
                ranges.iter().filter_map(move |&(begin, end)| OfferedRange::clipped(begin, end, role))
            })
            .collect();
        offered.sort_unstable_by_key(|range| range.begin);
        choose_host_ports(requests, &offered, self.port_start)
    }
}

/// An amount in thousandths, as `ResourceSet` keeps it (saturating: an agent may offer any amount).
fn milli(amount: f64) -> i64 {
    (amount * 1000.0).round() as i64
}
