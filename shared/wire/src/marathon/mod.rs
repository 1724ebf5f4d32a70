//! Marathon's v2 REST API JSON, as Marathon (1.5 and later) writes and reads it, so that existing
//! Marathon clients work against `corral-marathon` unchanged. No IO, no clock.
//!
//! Apps have two forms:
//! - `AppUpdate` is what a client sends: every top-level field optional (`Some` = the client sent the
//!   key), legacy fields included. It answers "what did the client ask to change?", which partial
//!   updates need.
//! - `AppDefinition` is the canonical app: defaults applied, legacy fields moved to their modern
//!   places, written with exactly the keys Marathon writes (see `app.rs`). It is what Corral stores,
//!   returns and compares (`is_only_scale_change` tells a scale from a restart).
//!
//! `AppUpdate::apply_to(base)` is the one way from the first to the second, for new apps (base =
//! `AppDefinition::new(id)`) and partial updates (base = the current app) alike. Validation with
//! Marathon's messages lives in the marathon-api service (`app_validation`), not here.
//!
//! Timestamps (`version`, `stagedAt`, event `timestamp`, ...) are `Timestamp`: milliseconds since
//! the epoch, written as `2015-09-17T09:32:36.583Z`. Errors use Marathon's
//! `{"message", "details": [{"path", "errors"}]}` (`ErrorBody`).

mod app;
mod app_info;
mod app_normalization;
mod app_policies;
mod app_update;
mod container;
mod deployment;
mod error;
mod event;
mod group;
mod health_check;
mod info;
mod networking;
mod queue;
mod task;
mod timestamp;

#[cfg(test)]
mod tests;

pub use app::{AppDefinition, Artifact, VersionInfo};
pub use app_info::{AppInfo, AppList, AppResponse, AppVersions};
pub use app_policies::{Constraint, KillSelection, UnreachableStrategy, UpgradeStrategy};
pub use app_update::{AppUpdate, ContainerRequest, DockerRequest, LegacyIpAddress};
pub use container::{AppVolume, Container, ContainerType, DockerContainer, DockerNetwork, DockerParameter, VolumeMode};
pub use deployment::{
    CurrentAction, Deployment, DeploymentAction, DeploymentActionName, DeploymentPlan, DeploymentRef, DeploymentResult,
    DeploymentStep, HttpResponse, ReadinessCheckResult,
};
pub use error::{ErrorBody, ErrorDetail, ErrorDetails};
pub use event::{Event, EventKind};
pub use group::Group;
pub use health_check::{CommandCheck, HealthCheck, HealthCheckProtocol, IpProtocol, ReadinessCheck, ReadinessProtocol};
pub use info::{HttpConfig, Info, Leader, MarathonConfig, ZookeeperConfig};
pub use networking::{Network, NetworkMode, PortDefinition, PortMapping, PortProtocol};
pub use queue::{DeclinedOfferStep, ProcessedOffersSummary, Queue, QueueDelay, QueueItem};
pub use task::{HealthCheckResult, IpAddress, Task, TaskFailure, TaskIds, TaskList, TaskResponse};
pub use timestamp::{Timestamp, TimestampParseError};
