//! What planning and the step functions need to know about an app, decoupled from the JSON of
//! Marathon's app definitions: the caller reduces an app to an `AppSpec`.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

/// An app's absolute path, as Marathon writes it: `/web`, `/shop/db`.
pub type AppId = String;
/// A version timestamp as Marathon writes it: `2015-09-17T09:32:36.583Z`. Only compared for equality.
pub type Version = String;
/// A task id: `web.3d4f...`.
pub type TaskId = String;

/// An app reduced to what deployments need.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AppSpec {
    pub id: AppId,
    /// The app's version; tasks launched for it carry it, and a rolling restart replaces every task
    /// of another version.
    pub version: Version,
    pub instances: u32,
    /// Identifies the runtime configuration of the app's tasks: it changes with anything that
    /// restarts tasks in Marathon (command, resources, container, env, ports, health checks, ...)
    /// but not with `instances`. A forced restart (`POST /v2/apps/{id}/restart`) must change it
    /// too, for instance by folding in `versionInfo.lastConfigChangeAt`.
    pub runtime_fingerprint: String,
    pub upgrade_strategy: UpgradeStrategy,
    pub kill_selection: KillSelection,
    pub dependencies: BTreeSet<AppId>,
    /// Whether tasks must pass health checks to count as healthy; without, running is enough.
    pub has_health_checks: bool,
}

impl AppSpec {
    /// Whether going from `self` to `to` replaces the tasks: Marathon's `isUpgrade`. The
    /// strategy, kill selection, dependencies and health checks are part of it there too.
    pub fn needs_restart(&self, to: &AppSpec) -> bool {
        self.runtime_fingerprint != to.runtime_fingerprint
            || self.upgrade_strategy != to.upgrade_strategy
            || self.kill_selection != to.kill_selection
            || self.dependencies != to.dependencies
            || self.has_health_checks != to.has_health_checks
    }

    /// Whether going from `self` to `to` only changes the number of instances.
    pub fn is_only_scale_change(&self, to: &AppSpec) -> bool {
        !self.needs_restart(to) && self.instances != to.instances
    }
}

/// Marathon's `upgradeStrategy`; both numbers are fractions in [0, 1] (validated by the API).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct UpgradeStrategy {
    pub minimum_health_capacity: f64,
    pub maximum_over_capacity: f64,
}

impl Default for UpgradeStrategy {
    /// Marathon's defaults: keep every instance healthy, allow twice the instances meanwhile.
    fn default() -> Self {
        UpgradeStrategy { minimum_health_capacity: 1.0, maximum_over_capacity: 1.0 }
    }
}

/// Which tasks go first when an app has too many: Marathon's `killSelection`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum KillSelection {
    #[default]
    YoungestFirst,
    OldestFirst,
}
