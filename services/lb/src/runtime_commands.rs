//! The runtime API commands that take HAProxy from one `SlotTable` to another of the same layout:
//! fill a slot, empty it (`maint`: running requests finish, no new ones start), or change a
//! server between serving and draining. Pure.
//!
//! A filled slot is given its address and then either leaves maintenance at once (a task of an
//! app with health checks, which marathon lists only once they pass) or waits for a `Probe`: a
//! task reports TASK_RUNNING before it listens, and HAProxy would send it requests at once (it
//! takes a server leaving maintenance for up until a check fails) or, marked down, only after its
//! next scheduled check, up to `inter` later. The lb connects to it itself and lets it in as soon
//! as it answers (`Probe::ready_command`).

use std::net::SocketAddr;

use crate::layout::{Plan, SlotTable};
use crate::services::Server;

/// A filled slot that stays in maintenance until its task accepts a connection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Probe {
    pub backend: String,
    /// From 1, as in the server's name `s<slot>`.
    pub slot: usize,
    pub task_id: String,
    pub address: SocketAddr,
}

impl Probe {
    /// The command that lets the server in, if its slot still holds the probed task.
    pub fn ready_command(&self, slots: &SlotTable) -> Option<String> {
        let server = slots.slots.get(&self.backend)?.get(self.slot - 1)?.as_ref()?;
        (server.task_id == self.task_id && server.address == self.address)
            .then(|| format!("set server {}/s{} state {}", self.backend, self.slot, state(server)))
    }
}

/// What takes HAProxy to the next slots: commands to send now, and probes to start.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeChanges {
    pub commands: Vec<String>,
    pub probes: Vec<Probe>,
}

/// The commands, in slot order, that make HAProxy's servers match `next` when it serves `current`,
/// and the probes of the slots that wait for their task. The two plans have the same layout.
pub fn runtime_changes(current: &SlotTable, next: &Plan) -> RuntimeChanges {
    let mut changes = RuntimeChanges::default();
    for backend in &next.layout.backends {
        let name = &backend.service.name;
        let proven = backend.service.marathon_checked;
        let before = current.slots.get(name).map(Vec::as_slice).unwrap_or_default();
        let after = next.slots.slots.get(name).map(Vec::as_slice).unwrap_or_default();
        for index in 0..backend.slot_count {
            let server = format!("{name}/s{}", index + 1);
            let old = before.get(index).and_then(Option::as_ref);
            let new = after.get(index).and_then(Option::as_ref);
            let refill = match (old, new) {
                (None, None) => false,
                (Some(_), None) => {
                    changes.commands.push(format!("set server {server} state maint"));
                    false
                }
                (None, Some(_)) => true,
                (Some(old), Some(new)) if old.task_id != new.task_id || old.address != new.address => {
                    changes.commands.push(format!("set server {server} state maint"));
                    true
                }
                (Some(old), Some(new)) if old.draining != new.draining => {
                    changes.commands.push(format!("set server {server} state {}", state(new)));
                    false
                }
                (Some(_), Some(_)) => false,
            };
            if let (true, Some(new)) = (refill, new) {
                changes.commands.push(format!(
                    "set server {server} addr {} port {}",
                    new.address.ip(),
                    new.address.port()
                ));
                match proven {
                    true => changes.commands.push(format!("set server {server} state {}", state(new))),
                    false => changes.probes.push(Probe {
                        backend: name.clone(),
                        slot: index + 1,
                        task_id: new.task_id.clone(),
                        address: new.address,
                    }),
                }
            }
        }
    }
    changes
}

fn state(server: &Server) -> &'static str {
    match server.draining {
        true => "drain",
        false => "ready",
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::SocketAddr;

    use super::*;
    use crate::labels::{port_labels, Mode};
    use crate::layout::{plan, Plan};
    use crate::services::{Selection, Service};

    /// A plan of one backend `web` whose servers are `tasks` (`id` or `id:drain`, port from the id).
    fn web(tasks: &[&str], marathon_checked: bool, previous: &Plan) -> Plan {
        let servers = tasks
            .iter()
            .map(|task| {
                let (id, draining) = task.split_once(':').map_or((*task, false), |(id, _)| (id, true));
                let port = 31_000 + u16::from(id.as_bytes()[0] - b'a');
                Server { task_id: id.to_string(), address: SocketAddr::from(([10, 0, 0, 1], port)), draining }
            })
            .collect();
        let service = Service {
            app_id: "/web".into(),
            port_index: 0,
            name: "web".into(),
            bind_port: 10_000,
            mode: Mode::Http,
            labels: port_labels(&BTreeMap::new(), 0).unwrap(),
            health: None,
            marathon_checked,
            instances: 2,
            servers,
        };
        plan(&Selection { services: vec![service], excluded: Vec::new() }, previous)
    }

    /// The commands, then `probe <slot> -> <command once it answers>` for each probe.
    fn check(before: &[&str], after: &[&str], marathon_checked: bool, expected: &[&str]) {
        let current = web(before, marathon_checked, &Plan::default());
        let next = web(after, marathon_checked, &current);
        let changes = runtime_changes(&current.slots, &next);
        let probes = changes
            .probes
            .iter()
            .map(|probe| format!("probe s{} -> {}", probe.slot, probe.ready_command(&next.slots).unwrap_or_default()));
        let got: Vec<String> = changes.commands.iter().cloned().chain(probes).collect();
        assert_eq!(got, expected, "{before:?} -> {after:?}");
    }

    #[test]
    fn a_probe_lets_in_only_the_task_it_probed() {
        let first = web(&["a"], false, &Plan::default());
        let next = web(&["a", "b"], false, &first);
        let probe = runtime_changes(&first.slots, &next).probes.remove(0);
        assert_eq!(probe.ready_command(&next.slots).as_deref(), Some("set server web/s2 state ready"));
        // The task left before it answered, or another took its slot: nothing to let in.
        let gone = web(&["a"], false, &next);
        assert_eq!(probe.ready_command(&gone.slots), None);
        let replaced = web(&["a", "c"], false, &gone);
        assert_eq!(probe.ready_command(&replaced.slots), None);
    }

    #[test]
    fn slot_changes_become_runtime_commands() {
        check(&["a"], &["a"], false, &[]);
        // A new task waits until it answers a connection, unless marathon checked it already.
        check(
            &["a"],
            &["a", "b"],
            false,
            &["set server web/s2 addr 10.0.0.1 port 31001", "probe s2 -> set server web/s2 state ready"],
        );
        check(
            &["a"],
            &["a", "b"],
            true,
            &["set server web/s2 addr 10.0.0.1 port 31001", "set server web/s2 state ready"],
        );
        // Announced as leaving: no new requests; gone: maintenance (running requests finish).
        check(&["a", "b"], &["a", "b:drain"], false, &["set server web/s2 state drain"]);
        check(&["a", "b:drain"], &["a"], false, &["set server web/s2 state maint"]);
        // A freed slot taken by another task.
        check(
            &["a", "b"],
            &["c", "b"],
            true,
            &[
                "set server web/s1 state maint",
                "set server web/s1 addr 10.0.0.1 port 31002",
                "set server web/s1 state ready",
            ],
        );
    }
}
