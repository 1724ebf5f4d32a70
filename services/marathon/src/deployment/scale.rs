//! Scaling an app to a number of tasks, as a step function: `ScaleApplication`, and
//! `StopApplication`, which scales to nothing.
//!
//! As Marathon's `ScalingProposition`: tasks sentenced by the request go first, then, if there
//! are still too many, the others in kill order (failing health checks, then staging, then
//! healthy; within each by the app's kill selection); too few are made up by launches of the
//! target version. Launches still queued are cancelled before any task is killed. The scale is
//! complete when no task is on its way out, none is queued, the count is right and every task of
//! the target version is healthy (Marathon waits for the tasks it started to become healthy).
//! A step is a pure function of its input: the runner calls it again whenever something changed.

use super::app::{KillSelection, TaskId, Version};
use super::orders::{Orders, StepInput};
use super::tasks::{count, kill_order, TaskView};

/// Where a scale should end.
#[derive(Clone, Copy, Debug)]
pub struct ScaleTarget<'a> {
    pub instances: u32,
    /// The version launches are made for.
    pub version: &'a Version,
    pub kill_selection: KillSelection,
    pub sentenced: &'a [TaskId],
}

/// What to do now for a scale to `target` (see the module's rules).
pub fn scale_step(target: &ScaleTarget<'_>, input: &StepInput<'_>) -> Orders {
    let in_flight = input.in_flight;
    let staying: Vec<&TaskView> = input.tasks.iter().filter(|task| !in_flight.is_leaving(task)).collect();
    let (sentenced, mut others): (Vec<&TaskView>, Vec<&TaskView>) =
        staying.iter().copied().partition(|task| target.sentenced.contains(&task.id));
    others.sort_by(kill_order(target.kill_selection));

    let queued = in_flight.queued_launches;
    let present = count(&staying) + queued;
    let excess = present.saturating_sub(target.instances);
    let mut orders = Orders { cancel_launches: excess.min(queued), ..Orders::default() };
    let kill_count = (excess - orders.cancel_launches).max(count(&sentenced));
    let victims: Vec<&TaskView> = sentenced.iter().chain(&others).take(kill_count as usize).copied().collect();
    orders.launch = target.instances.saturating_sub(present - orders.cancel_launches - count(&victims));
    orders.retire(&victims, input);
    orders.finish_drains(input);

    let settled = queued == 0
        && staying.len() == input.tasks.len()
        && count(&staying) == target.instances
        && staying.iter().filter(|task| task.version == *target.version).all(|task| task.is_healthy());
    orders.complete = settled && orders == Orders::default();
    orders
}
