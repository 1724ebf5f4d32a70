//! Tests of the scheduling module through its public API, table by table.

mod backoff;
mod constraints;
mod kill_selection;
mod offer_matching;
mod ports;
mod scale;
mod service_ports;

use corral_wire::mesos::{AgentId, Attribute, FrameworkId, Offer, OfferId, Resource, ResourceSet};

use super::*;

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|part| part.to_string()).collect()
}

/// A valid constraint, `constraint(&["rack", "GROUP_BY", "3"])`.
fn constraint(parts: &[&str]) -> Constraint {
    Constraint::parse(&strings(parts)).unwrap()
}

fn set(text: &str) -> ResourceSet {
    ResourceSet::parse(text).unwrap()
}

/// An agent: its hostname (also its id) and `--attributes` text, `rack:a;level:3`.
fn agent(hostname: &str, attributes: &str) -> Placement {
    Placement {
        agent_id: AgentId::new(hostname),
        hostname: hostname.to_string(),
        attributes: Attribute::parse_list(attributes).unwrap(),
    }
}

/// An offer of `agent` holding, per role, the resources of a `--resources` text.
fn offer(agent: &Placement, by_role: &[(&str, &str)]) -> Offer {
    let resources: Vec<Resource> = by_role
        .iter()
        .flat_map(|(role, text)| {
            set(text).to_resources().into_iter().map(|resource| Resource { role: Some(role.to_string()), ..resource })
        })
        .collect();
    Offer {
        id: OfferId::new(format!("offer-{}", agent.hostname)),
        framework_id: FrameworkId::new("marathon"),
        agent_id: agent.agent_id.clone(),
        hostname: agent.hostname.clone(),
        resources,
        attributes: agent.attributes.clone(),
        url: None,
    }
}

/// A matcher over an offer of `resources` in role `*` from `agent`.
fn matcher(agent: &Placement, resources: &str) -> OfferMatcher {
    OfferMatcher::new(&offer(agent, &[("*", resources)])).unwrap()
}

/// A task needing these scalars and nothing else; the tests set the rest.
fn task(cpus: f64, mem: f64) -> TaskRequirements {
    TaskRequirements {
        cpus,
        mem,
        disk: 0.0,
        gpus: 0.0,
        ports: Vec::new(),
        accepted_roles: Vec::new(),
        constraints: Vec::new(),
    }
}
