//! `/health` (the process answers, and whether its agents are registered) and `/metrics`
//! (Prometheus text, summed over the agents of the process).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use corral_kit::PrometheusText;
use serde_json::{json, Value};

use super::ApiState;
use crate::agent::read_counter;

pub(super) async fn health(State(api): State<Arc<ApiState>>) -> Json<Value> {
    let mut registered = 0;
    for agent in &api.agents {
        registered += usize::from(agent.agent_id().await.is_some());
    }
    Json(json!({"status": "ok", "agents": api.agents.len(), "registered": registered}))
}

pub(super) async fn metrics(State(api): State<Arc<ApiState>>) -> PrometheusText {
    let mut registered = 0.0;
    let mut by_state: BTreeMap<String, f64> = BTreeMap::new();
    let mut pending = 0.0;
    for agent in &api.agents {
        let view = agent.view().await;
        registered += if view.agent_id.is_some() { 1.0 } else { 0.0 };
        for task in &view.tasks {
            let state = serde_json::to_value(task.latest.state).ok().and_then(|v| v.as_str().map(String::from));
            *by_state.entry(state.unwrap_or_default()).or_default() += 1.0;
            pending += task.pending_updates as f64;
        }
    }
    let sum = |read: fn(&crate::agent::AgentCounters) -> &std::sync::atomic::AtomicU64| {
        api.agents.iter().map(|agent| read_counter(read(&agent.counters)) as f64).sum::<f64>()
    };
    let mut text = PrometheusText::default();
    text.gauge("corral_agent_agents", "Agents run by this process.", api.agents.len() as f64)
        .gauge("corral_agent_registered", "Agents of this process that have an id from the master.", registered)
        .family(
            "corral_agent_tasks",
            "Tasks held by the agents, by latest state (ended ones until acknowledged).",
            "gauge",
            &by_state.into_iter().map(|(state, count)| (format!("{{state=\"{state}\"}}"), count)).collect::<Vec<_>>(),
        )
        .gauge("corral_agent_status_updates_pending", "Status updates not yet acknowledged.", pending)
        .counter("corral_agent_tasks_launched_total", "Tasks launched.", sum(|c| &c.tasks_launched))
        .counter("corral_agent_tasks_finished_total", "Tasks that ended TASK_FINISHED.", sum(|c| &c.tasks_finished))
        .counter("corral_agent_tasks_failed_total", "Tasks that ended TASK_FAILED.", sum(|c| &c.tasks_failed))
        .counter("corral_agent_tasks_killed_total", "Tasks that ended TASK_KILLED.", sum(|c| &c.tasks_killed))
        .counter("corral_agent_tasks_errored_total", "Tasks that ended TASK_ERROR.", sum(|c| &c.tasks_errored))
        .counter(
            "corral_agent_status_updates_sent_total",
            "Status updates posted to the master (resends included).",
            sum(|c| &c.updates_sent),
        )
        .counter(
            "corral_agent_status_updates_acknowledged_total",
            "Status updates acknowledged.",
            sum(|c| &c.updates_acknowledged),
        )
        .counter(
            "corral_agent_registrations_total",
            "Successful (re-)registrations with a master.",
            sum(|c| &c.registrations),
        )
        .counter(
            "corral_agent_checkpoint_quarantined_total",
            "Checkpointed tasks that could not be read at recovery, moved to the quarantine table and skipped.",
            sum(|c| &c.checkpoint_quarantined),
        );
    text
}
