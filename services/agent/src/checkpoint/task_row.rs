//! [`TaskRow`]: one task as checkpointed, and its mapping to the columns of the `task` table
//! (ids as text, everything structured as JSON). A row that cannot be read back is
//! [`CheckpointError::Corrupt`], naming the column.

use std::path::PathBuf;

use sqlx::sqlite::SqliteRow;
use sqlx::Row;

use super::change::{Change, TaskValues};
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

/// The columns [`TaskRow::from_row`] reads, in this order (after the rowid).
pub(super) const TASK_COLUMNS: &str =
    "framework_id, task_id, framework_info, task_info, containerizer, container, sandbox, latest_status, pending_updates";

/// Reads one column of a row as text (or NULL); anything else is corrupt.
struct Reader<'a> {
    row: &'a SqliteRow,
    framework_id: String,
    task_id: String,
}

impl Reader<'_> {
    fn text(&self, column: &'static str) -> Result<Option<String>, CheckpointError> {
        self.row.try_get::<Option<String>, _>(column).map_err(|error| self.corrupt(column, error.to_string()))
    }

    fn required(&self, column: &'static str) -> Result<String, CheckpointError> {
        self.text(column)?.ok_or_else(|| self.corrupt(column, "missing".to_string()))
    }

    fn json<T: DeserializeOwned>(&self, column: &'static str, text: &str) -> Result<T, CheckpointError> {
        serde_json::from_str(text).map_err(|error| self.corrupt(column, error.to_string()))
    }

    fn corrupt(&self, column: &'static str, error: String) -> CheckpointError {
        CheckpointError::Corrupt {
            framework_id: self.framework_id.clone(),
            task_id: self.task_id.clone(),
            column,
            error,
        }
    }
}

impl TaskRow {
    /// The task in a row selected with [`TASK_COLUMNS`].
    pub(super) fn from_row(row: &SqliteRow) -> Result<Self, CheckpointError> {
        // The ids only name the row in errors until they are read for real.
        let id = |column: &str| row.try_get::<String, _>(column).unwrap_or_else(|_| "?".to_string());
        let reader = Reader { row, framework_id: id("framework_id"), task_id: id("task_id") };
        let framework_id = reader.required("framework_id")?;
        let containerizer = match reader.text("containerizer")? {
            Some(text) => {
                Some(text.parse::<ContainerizerKind>().map_err(|error| reader.corrupt("containerizer", error))?)
            }
            None => None,
        };
        let framework = reader.text("framework_info")?;
        let container = reader.text("container")?;
        Ok(TaskRow {
            framework: framework.as_deref().map(|text| reader.json("framework_info", text)).transpose()?,
            task: reader.json("task_info", &reader.required("task_info")?)?,
            containerizer,
            container: container.as_deref().map(|text| reader.json("container", text)).transpose()?,
            sandbox: PathBuf::from(reader.required("sandbox")?),
            latest: reader.json("latest_status", &reader.required("latest_status")?)?,
            pending: reader.json("pending_updates", &reader.required("pending_updates")?)?,
            framework_id: FrameworkId::new(framework_id),
        })
    }

    /// The change that writes this row for `slot`.
    pub(super) fn save(&self, slot: &str) -> Change {
        Change::SaveTask(TaskValues {
            slot: slot.to_string(),
            framework_id: self.framework_id.value.clone(),
            task_id: self.task.task_id.value.clone(),
            framework_info: self.framework.as_ref().map(json),
            task_info: json(&self.task),
            containerizer: self.containerizer.map(|kind| kind.as_str().to_string()),
            container: self.container.as_ref().map(json),
            sandbox: self.sandbox.to_string_lossy().into_owned(),
            latest_status: json(&self.latest),
            pending_updates: json(&self.pending),
        })
    }
}

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("checkpointed types serialize")
}
