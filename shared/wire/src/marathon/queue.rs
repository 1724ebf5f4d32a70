//! `GET /v2/queue`: the apps with instances waiting to be launched, and how long their launch is
//! delayed by backoff.

use serde::{Deserialize, Serialize};

use super::app::AppDefinition;
use super::timestamp::Timestamp;

/// `{"queue": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queue {
    pub queue: Vec<QueueItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueItem {
    pub app: AppDefinition,
    /// Instances still to launch.
    pub count: i32,
    pub delay: QueueDelay,
    /// When Marathon started to launch them.
    pub since: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub processed_offers_summary: Option<ProcessedOffersSummary>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueueDelay {
    /// Seconds until the next launch attempt.
    pub time_left_seconds: i64,
    /// True when the delay has passed.
    pub overdue: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProcessedOffersSummary {
    pub processed_offers_count: i32,
    pub unused_offers_count: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_unused_offer_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_offer_at: Option<Timestamp>,
    #[serde(default)]
    pub reject_summary_last_offers: Vec<DeclinedOfferStep>,
    #[serde(default)]
    pub reject_summary_launch_attempt: Vec<DeclinedOfferStep>,
}

/// How many offers one reason (`InsufficientCpus`, `UnfulfilledConstraint`, ...) turned down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclinedOfferStep {
    pub reason: String,
    pub declined: i32,
    pub processed: i32,
}
