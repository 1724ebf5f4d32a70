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
        let checked = backend.service.health.is_some();
        let before = current.slots.get(name).map(Vec::as_slice).unwrap_or_default();
        let after = next.slots.slots.get(name).map(Vec::as_slice).unwrap_or_default();
        for index in 0..backend.slot_count {
            let server = format!("{name}/s{}", index + 1);
            let old = before.get(index).and_then(Option::as_ref);
            let new = after.get(index).and_then(Option::as_ref);
            match (old, new) {
                (None, None) => {}
                (Some(_), None) => commands.push(format!("set server {server} state maint")),
                (None, Some(new)) => fill(&mut commands, &server, new, checked),
                (Some(old), Some(new)) if old.task_id != new.task_id || old.address != new.address => {
                    commands.push(format!("set server {server} state maint"));
                    fill(&mut commands, &server, new, checked);
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

fn fill(commands: &mut Vec<String>, server: &str, new: &Server, checked: bool) {
    commands.push(format!("set server {server} addr {} port {}", new.address.ip(), new.address.port()));
    commands.push(format!("set server {server} state {}", state(new)));
    if checked {
        // Marathon already saw the task healthy: serve it now rather than after HAProxy's own
        // first check.
        commands.push(format!("set server {server} health up"));
    }
}

fn state(server: &Server) -> &'static str {
    match server.draining {
        true => "drain",
        false => "ready",
    }
}
