//! The shape of a config (`Layout`: frontends and backends, each backend with a number of server
//! slots) apart from what fills the slots (`SlotTable`). A change that only refills slots is
//! applied through HAProxy's runtime API; a change of layout needs a reload. So slots are
//! pre-allocated with room to grow (twice the instances, at least `MIN_SLOTS`, a power of two),
//! never shrink while the lb runs, and a task keeps its slot for as long as it lives. Pure.

use std::collections::BTreeMap;

use crate::services::{Selection, Server, Service};

/// The fewest slots a backend gets.
pub const MIN_SLOTS: usize = 8;

/// A backend as the layout knows it: its service without servers, and its slot count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackendLayout {
    pub service: Service,
    pub slot_count: usize,
}

/// Everything in a config but the slots' contents; equal layouts need no reload.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Layout {
    /// Sorted by name.
    pub backends: Vec<BackendLayout>,
}

/// What fills each backend's slots: `slots[backend][i]` is slot `i + 1`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotTable {
    pub slots: BTreeMap<String, Vec<Option<Server>>>,
}

impl SlotTable {
    /// The backend and slot (from 1) a task is in, for every service port of it.
    pub fn places_of<'a>(&'a self, task_id: &'a str) -> impl Iterator<Item = (&'a str, usize, &'a Server)> + 'a {
        self.slots.iter().flat_map(move |(backend, slots)| {
            slots.iter().enumerate().filter_map(move |(index, slot)| match slot {
                Some(server) if server.task_id == task_id => Some((backend.as_str(), index + 1, server)),
                _ => None,
            })
        })
    }
}

/// A layout and its slots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Plan {
    pub layout: Layout,
    pub slots: SlotTable,
}

/// Lays `selection` out, keeping the slot counts and task places of `previous` where they fit.
pub fn plan(selection: &Selection, previous: &Plan) -> Plan {
    let mut plan = Plan::default();
    for service in &selection.services {
        let before = previous.slots.slots.get(&service.name);
        let slot_count = match before {
            Some(slots) if slots.len() >= service.servers.len() => slots.len(),
            _ => wanted_slots(service),
        };
        let slots = fill(before.map(Vec::as_slice).unwrap_or_default(), &service.servers, slot_count);
        plan.slots.slots.insert(service.name.clone(), slots);
        // What fills the slots, and how many tasks are asked for, are not the config's shape.
        let shape = Service { servers: Vec::new(), instances: 0, ..service.clone() };
        plan.layout.backends.push(BackendLayout { service: shape, slot_count });
    }
    plan
}

/// Room for twice the larger of the instances asked for and the servers present.
fn wanted_slots(service: &Service) -> usize {
    let load = (service.instances as usize).max(service.servers.len());
    (2 * load).max(MIN_SLOTS).next_power_of_two()
}

/// Servers that were in a slot before stay there; the others take the free slots from the first.
fn fill(before: &[Option<Server>], servers: &[Server], slot_count: usize) -> Vec<Option<Server>> {
    let mut slots: Vec<Option<Server>> = vec![None; slot_count];
    let mut placed = vec![false; servers.len()];
    for (index, old) in before.iter().enumerate().take(slot_count) {
        let Some(old) = old else { continue };
        if let Some(at) = servers.iter().position(|server| server.task_id == old.task_id) {
            slots[index] = Some(servers[at].clone());
            placed[at] = true;
        }
    }
    let mut free = (0..slot_count).filter(|index| slots[*index].is_none()).collect::<Vec<_>>().into_iter();
    for (server, _) in servers.iter().zip(&placed).filter(|(_, placed)| !**placed) {
        let index = free.next().expect("the slot count covers every server");
        slots[index] = Some(server.clone());
    }
    slots
}

#[cfg(test)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::labels::{port_labels, Mode};

    fn service(name: &str, instances: u32, tasks: &[&str]) -> Service {
        Service {
            app_id: format!("/{name}"),
            port_index: 0,
            name: name.to_string(),
            bind_port: 10_000,
            mode: Mode::Tcp,
            labels: port_labels(&BTreeMap::new(), 0).unwrap(),
            health: None,
            marathon_checked: false,
            instances,
            servers: tasks.iter().map(|id| server(id)).collect(),
        }
    }

    fn server(id: &str) -> Server {
        let port = 31_000 + id.bytes().map(u16::from).sum::<u16>();
        Server { task_id: id.to_string(), address: SocketAddr::from(([127, 0, 0, 1], port)), draining: false }
    }

    fn slots_of(plan: &Plan, backend: &str) -> String {
        plan.slots.slots[backend].iter().map(|slot| slot.as_ref().map_or("-", |s| s.task_id.as_str())).collect()
    }

    fn select(services: Vec<Service>) -> Selection {
        Selection { services, excluded: Vec::new() }
    }

    #[test]
    fn tasks_keep_their_slots_and_scaling_within_the_slots_keeps_the_layout() {
        let first = plan(&select(vec![service("web", 2, &["a", "b"])]), &Plan::default());
        assert_eq!(slots_of(&first, "web"), "ab------");

        // Scale 2 -> 6: the new tasks fill free slots; the layout (so the config's shape) stays.
        let up = plan(&select(vec![service("web", 6, &["a", "b", "c", "d", "e", "f"])]), &first);
        assert_eq!(slots_of(&up, "web"), "abcdef--");
        assert_eq!(up.layout.backends[0].slot_count, 8);

        // Scale down, then a replacement: survivors stay put, the newcomer takes the first hole.
        let down = plan(&select(vec![service("web", 2, &["b", "e"])]), &up);
        assert_eq!(slots_of(&down, "web"), "-b--e---");
        let replaced = plan(&select(vec![service("web", 2, &["e", "g"])]), &down);
        assert_eq!(slots_of(&replaced, "web"), "g---e---");
    }

    #[test]
    fn a_backend_grows_only_when_its_tasks_do_not_fit() {
        let first = plan(&select(vec![service("web", 1, &["a"])]), &Plan::default());
        let many: Vec<String> = (0..9).map(|i| format!("t{i}")).collect();
        let refs: Vec<&str> = many.iter().map(String::as_str).collect();
        let grown = plan(&select(vec![service("web", 9, &refs)]), &first);
        assert_eq!(grown.layout.backends[0].slot_count, 32);
        assert_ne!(grown.layout, first.layout);
        // Back down to one task: the slots stay, so the layout does not change again.
        let shrunk = plan(&select(vec![service("web", 1, &["t3"])]), &grown);
        assert_eq!(shrunk.layout, grown.layout);
    }

    #[test]
    fn draining_is_a_slot_change_not_a_layout_change() {
        let first = plan(&select(vec![service("web", 2, &["a", "b"])]), &Plan::default());
        let mut draining = service("web", 2, &["a", "b"]);
        draining.servers[1].draining = true;
        let next = plan(&select(vec![draining]), &first);
        assert_eq!(next.layout, first.layout);
        assert_ne!(next.slots, first.slots);
        assert_eq!(
            next.slots.places_of("b").map(|(b, i, s)| (b, i, s.draining)).collect::<Vec<_>>(),
            [("web", 2, true)]
        );
    }
}
