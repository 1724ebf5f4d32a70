//! [`TaskRow`]: one task as checkpointed, and its mapping to the columns of the `task` table
//! (ids as text, everything structured as JSON).

use std::path::PathBuf;

use super::writer::literal;
use super::CheckpointError;
use crate::containerizer::{ContainerHandle, ContainerizerKind};
use corral_wire::mesos::{FrameworkId, FrameworkInfo, TaskInfo, TaskStatus};
use serde::de::DeserializeOwned;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq)]
pub struct TaskRow {
    pub framework_id: FrameworkId,
    pub framework: Option<FrameworkInfo>,
    pub task: TaskInfo,
    /// `None` when no enabled containerizer could run the task.
    pub containerizer: Option<ContainerizerKind>,
    /// `None` until the container has started.
    pub container: Option<ContainerHandle>,
    pub sandbox: PathBuf,
    pub latest: TaskStatus,
    /// Updates not yet acknowledged, oldest first.
    pub pending: Vec<TaskStatus>,
}

/// framework_id, framework_info, task_info, containerizer, container, sandbox, latest_status, pending_updates
pub(super) type TaskColumns = (String, Option<String>, String, Option<String>, Option<String>, String, String, String);

impl TaskRow {
    pub(super) fn from_columns(columns: TaskColumns) -> Result<Self, CheckpointError> {
        let (framework_id, framework, task, containerizer, container, sandbox, latest, pending) = columns;
        let id = framework_id.as_str();
        let containerizer = match containerizer {
            Some(text) => Some(text.parse::<ContainerizerKind>().map_err(|error| CheckpointError::Corrupt {
                framework_id: framework_id.clone(),
                column: "containerizer",
                error,
            })?),
            None => None,
        };
        Ok(TaskRow {
            framework: framework.as_deref().map(|text| decode(id, "framework_info", text)).transpose()?,
            task: decode(id, "task_info", &task)?,
            containerizer,
            container: container.as_deref().map(|text| decode(id, "container", text)).transpose()?,
            sandbox: PathBuf::from(sandbox),
            latest: decode(id, "latest_status", &latest)?,
            pending: decode(id, "pending_updates", &pending)?,
            framework_id: FrameworkId::new(framework_id),
        })
    }

    /// The statement that writes this row for `slot`, values inlined.
    pub(super) fn upsert_statement(&self, slot: &str) -> String {
        let values = [
            literal(Some(slot)),
            literal(Some(&self.framework_id.value)),
            literal(Some(&self.task.task_id.value)),
            literal(self.framework.as_ref().map(json).as_deref()),
            literal(Some(&json(&self.task))),
            literal(self.containerizer.map(|kind| kind.as_str())),
            literal(self.container.as_ref().map(json).as_deref()),
            literal(Some(&self.sandbox.to_string_lossy())),
            literal(Some(&json(&self.latest))),
            literal(Some(&json(&self.pending))),
        ];
        format!(
            "INSERT INTO task (slot, framework_id, task_id, framework_info, task_info, containerizer, container, sandbox, latest_status, pending_updates)
             VALUES ({})
             ON CONFLICT (slot, framework_id, task_id) DO UPDATE SET
               framework_info = excluded.framework_info, task_info = excluded.task_info,
               containerizer = excluded.containerizer, container = excluded.container, sandbox = excluded.sandbox,
               latest_status = excluded.latest_status, pending_updates = excluded.pending_updates",
            values.join(", ")
        )
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("checkpointed types serialize")
}

fn decode<T: DeserializeOwned>(framework_id: &str, column: &'static str, text: &str) -> Result<T, CheckpointError> {
    serde_json::from_str(text).map_err(|error| corrupt(framework_id, column, error))
}

fn corrupt(framework_id: &str, column: &'static str, error: serde_json::Error) -> CheckpointError {
    CheckpointError::Corrupt { framework_id: framework_id.to_string(), column, error: error.to_string() }
}
