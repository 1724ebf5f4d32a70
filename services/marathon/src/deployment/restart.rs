//! The rolling restart (`RestartApplication`) as a step function, after Marathon's
//! `TaskReplaceActor` in its state-driven form (Marathon 1.9+, which recomputes everything from the
//! tasks every second).
//!
//! With `n` target instances, `minHealthy = ceil(n × minimumHealthCapacity)` and
//! `maxCapacity = floor(n × (1 + maximumOverCapacity))`, plus one when the two are equal (else
//! nothing could ever start). Each step:
//! - tasks of another version than the target ("old") that are not healthy may always go: that
//!   lowers no healthy count (Marathon kills unhealthy old tasks first);
//! - healthy old tasks go while more than `minHealthy` tasks stay healthy; tasks on their way out
//!   (announced, killed, killing) never count as healthy. So at the start old tasks go down to
//!   `minHealthy`, and afterwards one more for each new task that becomes healthy;
//! - new tasks are launched while fewer than `n` exist or are queued, and every task, including
//!   those on their way out, plus queued launches stays within `maxCapacity`;
//! - new tasks beyond `n` (left by an earlier run) go like old ones.
//!
//! Healthy tasks never drop below `minHealthy` through the restart's own kills, so a restart whose
//! new tasks never become healthy stays where it is until it is rolled back or forced. It is
//! complete when exactly `n` tasks exist, all new, healthy and staying, and nothing is queued.

use super::app::{AppSpec, UpgradeStrategy};
use super::orders::{Orders, StepInput};
use super::tasks::{count, kill_order, TaskView};

/// The bounds of a rolling restart.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RestartBounds {
    /// Fewest tasks that must stay healthy.
    pub min_healthy: u32,
    /// Most tasks (of any version and state) plus queued launches at any time.
    pub max_capacity: u32,
}

impl RestartBounds {
    /// Computed in floating point as Marathon does, so `ceil(25 × 0.28)` is 8 there and here.
    pub fn new(instances: u32, strategy: UpgradeStrategy) -> RestartBounds {
        let wanted = f64::from(instances);
        let min_healthy = ((wanted * strategy.minimum_health_capacity).ceil() as u32).min(instances);
        let over = ((wanted * (1.0 + strategy.maximum_over_capacity)).floor() as u32).max(instances);
        let max_capacity = if min_healthy == over { over + 1 } else { over };
        RestartBounds { min_healthy, max_capacity }
    }
}

/// What to do now for a rolling restart to `app` (see the module's rules).
pub fn restart_step(app: &AppSpec, input: &StepInput<'_>) -> Orders {
    let bounds = RestartBounds::new(app.instances, app.upgrade_strategy);
    let in_flight = input.in_flight;
    let staying: Vec<&TaskView> = input.tasks.iter().filter(|task| !in_flight.is_leaving(task)).collect();
    let (mut new, mut old): (Vec<&TaskView>, Vec<&TaskView>) =
        staying.iter().copied().partition(|task| task.version == app.version);
    old.sort_by(kill_order(app.kill_selection));
    new.sort_by(kill_order(app.kill_selection));

    let healthy = count(staying.iter().filter(|task| task.is_healthy()));
    let mut budget = HealthBudget { spare: healthy.saturating_sub(bounds.min_healthy) };
    let mut victims: Vec<&TaskView> = old.into_iter().filter(|task| budget.lets_go(task)).collect();

    let queued = in_flight.queued_launches;
    let new_excess = (count(&new) + queued).saturating_sub(app.instances);
    let mut orders = Orders { cancel_launches: new_excess.min(queued), ..Orders::default() };
    let queued = queued - orders.cancel_launches;
    let surplus = (new_excess - orders.cancel_launches) as usize;
    victims.extend(new.iter().copied().filter(|task| budget.lets_go(task)).take(surplus));

    let room = bounds.max_capacity.saturating_sub(count(input.tasks) + queued);
    let missing = app.instances.saturating_sub(count(&new) + queued);
    orders.launch = missing.min(room);
    orders.retire(&victims, input);
    orders.finish_drains(input);

    let settled = queued == 0
        && staying.len() == input.tasks.len()
        && new.len() == staying.len()
        && count(&new) == app.instances
        && new.iter().all(|task| task.is_healthy());
    orders.complete = settled && orders == Orders::default();
    orders
}

/// How many more healthy tasks may go before fewer than `minHealthy` would stay.
struct HealthBudget {
    spare: u32,
}

impl HealthBudget {
    /// Whether `task` may go; a healthy one uses up the budget.
    fn lets_go(&mut self, task: &TaskView) -> bool {
        if !task.is_healthy() {
            return true;
        }
        if self.spare == 0 {
            return false;
        }
        self.spare -= 1;
        true
    }
}
