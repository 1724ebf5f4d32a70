//! The runtime API commands that take HAProxy from one `SlotTable` to another of the same layout:
//! fill a slot (`addr`, then `ready` or `drain`), empty it (`maint`: running requests finish,
//! no new ones start), or change a server between serving and draining. Pure.

use crate::layout::{Plan, SlotTable};
use crate::services::Server;

/// The commands, in slot order, that make HAProxy's servers match `next` when it serves `current`.
/// The two plans have the same layout.
pub fn runtime_commands(current: &SlotTable, next: &Plan) -> Vec<String> {
    let mut commands = Vec::new();
    for backend in &next.layout.backends {
        let name = &backend.service.name;
        // Marathon lists a task of an app with health checks only once they pass: it may serve
        // at once. Any other task may report TASK_RUNNING before it listens: it waits for
        // HAProxy's first check.
        let proven = backend.service.marathon_checked;
        let before = current.slots.get(name).map(Vec::as_slice).unwrap_or_default();
        let after = next.slots.slots.get(name).map(Vec::as_slice).unwrap_or_default();
        for index in 0..backend.slot_count {
            let server = format!("{name}/s{}", index + 1);
            let old = before.get(index).and_then(Option::as_ref);
            let new = after.get(index).and_then(Option::as_ref);
            match (old, new) {
                (None, None) => {}
                (Some(_), None) => commands.push(format!("set server {server} state maint")),
                (None, Some(new)) => fill(&mut commands, &server, new, proven),
                (Some(old), Some(new)) if old.task_id != new.task_id || old.address != new.address => {
                    commands.push(format!("set server {server} state maint"));
                    fill(&mut commands, &server, new, proven);
                }
                (Some(old), Some(new)) if old.draining != new.draining => {
                    commands.push(format!("set server {server} state {}", state(new)));
                }
                (Some(_), Some(_)) => {}
            }
        }
    }
    commands
}

/// A filled slot leaves maintenance. HAProxy takes a server leaving maintenance for up until a
/// check fails; one not `proven` healthy is marked down, so it gets requests once its first
/// check passes.
fn fill(commands: &mut Vec<String>, server: &str, new: &Server, proven: bool) {
    commands.push(format!("set server {server} addr {} port {}", new.address.ip(), new.address.port()));
    commands.push(format!("set server {server} state {}", state(new)));
    if !proven {
        commands.push(format!("set server {server} health down"));
    }
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

    fn check(before: &[&str], after: &[&str], marathon_checked: bool, expected: &[&str]) {
        let current = web(before, marathon_checked, &Plan::default());
        let next = web(after, marathon_checked, &current);
        assert_eq!(runtime_commands(&current.slots, &next), expected, "{before:?} -> {after:?}");
    }

    #[test]
    fn slot_changes_become_runtime_commands() {
        check(&["a"], &["a"], false, &[]);
        // A new task waits for HAProxy's first check, unless marathon checked it already.
        check(
            &["a"],
            &["a", "b"],
            false,
            &[
                "set server web/s2 addr 10.0.0.1 port 31001",
                "set server web/s2 state ready",
                "set server web/s2 health down",
            ],
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
