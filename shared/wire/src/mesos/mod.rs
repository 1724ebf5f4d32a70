//! The Mesos v1 JSON forms Corral speaks: the scheduler HTTP API (calls, events and the RecordIO
//! framing of its stream) and the shapes it carries (ids, resources, offers, tasks, statuses).
//!
//! Field names follow `mesos.proto` and `scheduler.proto` as rendered to JSON by Mesos (snake
//! case, enums as strings). Unknown fields are ignored when reading, so any framework written
//! against Mesos' documented API can talk to us; optional fields are left out when writing.

mod framework;
mod ids;
mod offer;
pub mod recordio;
mod resource;
mod resource_set;
mod scheduler;
mod task;

pub use framework::{Capability, FrameworkInfo, MasterAddress, MasterInfo};
pub use ids::{AgentId, ExecutorId, FrameworkId, OfferId, TaskId};
pub use offer::{Attribute, Filters, Offer, TextValue};
pub use resource::{Range, Ranges, Resource, Scalar, Set, ValueType};
pub use resource_set::{ParseResourcesError, ResourceSet};
pub use scheduler::{
    Accept, Acknowledge, Call, CallType, Decline, ErrorEvent, Event, EventType, Failure, Kill, LaunchOperation,
    Message, Offers, Operation, OperationType, Reconcile, ReconcileTask, Rescind, Revive, Shutdown, Subscribe,
    Subscribed, Suppress, Update,
};
pub use task::{
    CommandCheck, CommandInfo, ContainerInfo, ContainerType, DockerInfo, DockerNetwork, DurationInfo, Environment,
    EnvironmentVariable, HealthCheck, HealthCheckType, HttpCheck, KillPolicy, Label, Labels, Parameter, PortMapping,
    StatusReason, StatusSource, TaskInfo, TaskState, TaskStatus, TcpCheck, HIDDEN_VALUE,
};
