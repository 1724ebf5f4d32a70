//! The v1 scheduler API: calls a framework POSTs to `/api/v1/scheduler` and the events the master
//! streams back. Each call or event names its `type` and carries its body under the lowercase
//! type name: `{"type":"DECLINE","decline":{...}}`.

use serde::{Deserialize, Serialize};

use super::framework::{FrameworkInfo, MasterInfo};
use super::ids::{AgentId, ExecutorId, FrameworkId, OfferId, TaskId};
use super::offer::{Filters, Offer};
use super::task::{KillPolicy, TaskInfo, TaskStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CallType {
    Subscribe,
    Teardown,
    Accept,
    Decline,
    AcceptInverseOffers,
    DeclineInverseOffers,
    Revive,
    Kill,
    Shutdown,
    Acknowledge,
    AcknowledgeOperationStatus,
    Reconcile,
    ReconcileOperations,
    Message,
    Request,
    Suppress,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Call {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub framework_id: Option<FrameworkId>,
    #[serde(rename = "type")]
    pub call_type: CallType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribe: Option<Subscribe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub accept: Option<Accept>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline: Option<Decline>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revive: Option<Revive>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suppress: Option<Suppress>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill: Option<Kill>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shutdown: Option<Shutdown>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<Acknowledge>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reconcile: Option<Reconcile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<serde_json::Value>,
}

impl Call {
    /// A call of `call_type` with no body, for filling in one field.
    pub fn new(call_type: CallType, framework_id: Option<FrameworkId>) -> Self {
        Call {
            framework_id,
            call_type,
            subscribe: None,
            accept: None,
            decline: None,
            revive: None,
            suppress: None,
            kill: None,
            shutdown: None,
            acknowledge: None,
            reconcile: None,
            message: None,
            request: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribe {
    pub framework_info: FrameworkInfo,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub suppressed_roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Accept {
    pub offer_ids: Vec<OfferId>,
    #[serde(default)]
    pub operations: Vec<Operation>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum OperationType {
    Launch,
    LaunchGroup,
    Reserve,
    Unreserve,
    Create,
    Destroy,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    #[serde(rename = "type")]
    pub operation_type: OperationType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<LaunchOperation>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LaunchOperation {
    pub task_infos: Vec<TaskInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Decline {
    pub offer_ids: Vec<OfferId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filters: Option<Filters>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Revive {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Suppress {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Kill {
    pub task_id: TaskId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kill_policy: Option<KillPolicy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shutdown {
    pub executor_id: ExecutorId,
    pub agent_id: AgentId,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Acknowledge {
    pub agent_id: AgentId,
    pub task_id: TaskId,
    /// Base64, as in the acknowledged `TaskStatus`.
    pub uuid: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Reconcile {
    /// Empty: implicit reconciliation, the master reports every task it knows of the framework.
    #[serde(default)]
    pub tasks: Vec<ReconcileTask>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconcileTask {
    pub task_id: TaskId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
}

/// A framework message to an executor (scheduler → agent) or back (event).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    pub agent_id: AgentId,
    pub executor_id: ExecutorId,
    /// Base64.
    pub data: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EventType {
    Subscribed,
    Offers,
    InverseOffers,
    Rescind,
    RescindInverseOffer,
    Update,
    UpdateOperationStatus,
    Message,
    Failure,
    Error,
    Heartbeat,
    #[serde(other)]
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(rename = "type")]
    pub event_type: EventType,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscribed: Option<Subscribed>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub offers: Option<Offers>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rescind: Option<Rescind>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<Update>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<Message>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<Failure>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<ErrorEvent>,
}

impl Event {
    fn of(event_type: EventType) -> Self {
        Event {
            event_type,
            subscribed: None,
            offers: None,
            rescind: None,
            update: None,
            message: None,
            failure: None,
            error: None,
        }
    }

    pub fn heartbeat() -> Self {
        Event::of(EventType::Heartbeat)
    }

    pub fn subscribed(subscribed: Subscribed) -> Self {
        Event { subscribed: Some(subscribed), ..Event::of(EventType::Subscribed) }
    }

    pub fn offers(offers: Vec<Offer>) -> Self {
        Event { offers: Some(Offers { offers }), ..Event::of(EventType::Offers) }
    }

    pub fn rescind(offer_id: OfferId) -> Self {
        Event { rescind: Some(Rescind { offer_id }), ..Event::of(EventType::Rescind) }
    }

    pub fn update(status: TaskStatus) -> Self {
        Event { update: Some(Update { status }), ..Event::of(EventType::Update) }
    }

    pub fn message(message: Message) -> Self {
        Event { message: Some(message), ..Event::of(EventType::Message) }
    }

    pub fn failure(failure: Failure) -> Self {
        Event { failure: Some(failure), ..Event::of(EventType::Failure) }
    }

    pub fn error(message: impl Into<String>) -> Self {
        Event { error: Some(ErrorEvent { message: message.into() }), ..Event::of(EventType::Error) }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Subscribed {
    pub framework_id: FrameworkId,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heartbeat_interval_seconds: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master_info: Option<MasterInfo>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Offers {
    #[serde(default)]
    pub offers: Vec<Offer>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rescind {
    pub offer_id: OfferId,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Update {
    pub status: TaskStatus,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<AgentId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executor_id: Option<ExecutorId>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorEvent {
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_documented_accept_call() {
        let call: Call = serde_json::from_str(
            r#"{"framework_id":{"value":"m-0000"},"type":"ACCEPT","accept":{"offer_ids":[{"value":"m-O12"}],
            "operations":[{"type":"LAUNCH","launch":{"task_infos":[{"name":"web","task_id":{"value":"web.1"},
            "agent_id":{"value":"m-S3"},"resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":0.5}}],
            "command":{"shell":false},"container":{"type":"DOCKER","docker":{"image":"nginx","network":"BRIDGE",
            "port_mappings":[{"host_port":31005,"container_port":80,"protocol":"tcp"}]}}}]}}],
            "filters":{"refuse_seconds":5.0}}}"#,
        )
        .unwrap();
        assert_eq!(call.call_type, CallType::Accept);
        let accept = call.accept.unwrap();
        let task = &accept.operations[0].launch.as_ref().unwrap().task_infos[0];
        assert_eq!(task.container.as_ref().unwrap().docker.as_ref().unwrap().port_mappings[0].host_port, 31005);
        assert_eq!(accept.filters.unwrap().refuse_seconds(), 5.0);
    }

    #[test]
    fn writes_events_with_the_body_under_the_lowercase_type() {
        let json = serde_json::to_value(Event::error("bad")).unwrap();
        assert_eq!(json, serde_json::json!({"type": "ERROR", "error": {"message": "bad"}}));
        assert_eq!(serde_json::to_value(Event::heartbeat()).unwrap(), serde_json::json!({"type": "HEARTBEAT"}));
    }
}
