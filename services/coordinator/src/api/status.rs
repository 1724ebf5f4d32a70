//! What a node says about itself: JSON status, ZooKeeper's `srvr` and `mntr` text, health and
//! Prometheus metrics.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use corral_kit::PrometheusText;
use corral_wire::coordinator::{EnsembleMember, Status};

use crate::node::CoordinatorNode;

type Node = State<Arc<CoordinatorNode>>;

/// Gathers the facts every status page shows.
pub(crate) fn status_of(node: &CoordinatorNode) -> Status {
    let (node_count, sessions, ephemerals) = node.applied.read(|applied| {
        let state = &applied.state;
        (state.tree.node_count() as u64, state.sessions.len() as u64, state.tree.ephemeral_count() as u64)
    });
    let latency = node.stats.summary();
    Status {
        id: node.config.id,
        mode: node.mode().to_string(),
        zxid: node.applied.zxid(),
        epoch: node.raft.metrics().borrow().current_term,
        leader: node.leader().map(|(_, addr)| addr.client),
        node_count,
        sessions,
        ephemerals,
        watches: node.stats.watches(),
        received: latency.received,
        latency_min_ms: latency.min_ms,
        latency_avg_ms: latency.avg_ms,
        latency_max_ms: latency.max_ms,
        members: members_of(node),
    }
}

/// The members in this node's membership, each with its role as this node knows it (a leader
/// adds how far each has replicated).
fn members_of(node: &CoordinatorNode) -> Vec<EnsembleMember> {
    let metrics = node.raft.metrics();
    let metrics = metrics.borrow();
    let membership = metrics.membership_config.membership();
    let voters: Vec<u64> = membership.voter_ids().collect();
    membership
        .nodes()
        .map(|(id, addr)| {
            let role = match (metrics.current_leader, voters.contains(id)) {
                (Some(leader), _) if leader == *id => "leader",
                (_, false) => "observer",
                (Some(_), true) => "follower",
                (None, true) => "participant",
            };
            let matched = metrics.replication.as_ref().and_then(|replication| replication.get(id).copied().flatten());
            EnsembleMember {
                id: *id,
                role: role.to_string(),
                client: addr.client.clone(),
                peer: addr.peer.clone(),
                matched_zxid: matched.map(|log_id| log_id.index),
            }
        })
        .collect()
}

pub(super) async fn status(State(node): Node) -> Json<Status> {
    Json(status_of(&node))
}

pub(super) async fn srvr(State(node): Node) -> String {
    let status = status_of(&node);
    let mut text = String::new();
    let _ = writeln!(text, "Zookeeper version: corral-coordinator {}", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(
        text,
        "Latency min/avg/max: {:.3}/{:.3}/{:.3}",
        status.latency_min_ms, status.latency_avg_ms, status.latency_max_ms
    );
    let _ = writeln!(text, "Received: {}", status.received);
    let _ = writeln!(text, "Sent: {}", status.received);
    let _ = writeln!(text, "Connections: {}", status.watches);
    let _ = writeln!(text, "Outstanding: 0");
    let _ = writeln!(text, "Zxid: {:#x}", status.zxid);
    let _ = writeln!(text, "Mode: {}", status.mode);
    let _ = writeln!(text, "Node count: {}", status.node_count);
    text
}

pub(super) async fn mntr(State(node): Node) -> String {
    let status = status_of(&node);
    let mut lines = vec![
        ("zk_version", format!("corral-coordinator {}", env!("CARGO_PKG_VERSION"))),
        ("zk_server_state", status.mode.clone()),
        ("zk_avg_latency", format!("{:.3}", status.latency_avg_ms)),
        ("zk_min_latency", format!("{:.3}", status.latency_min_ms)),
        ("zk_max_latency", format!("{:.3}", status.latency_max_ms)),
        ("zk_packets_received", status.received.to_string()),
        ("zk_znode_count", status.node_count.to_string()),
        ("zk_watch_count", status.watches.to_string()),
        ("zk_ephemerals_count", status.ephemerals.to_string()),
        ("zk_zxid", status.zxid.to_string()),
    ];
    if status.mode == "leader" {
        let metrics = node.raft.metrics().borrow().clone();
        let voters: Vec<u64> = metrics.membership_config.membership().voter_ids().collect();
        let last = metrics.last_log_index.unwrap_or(0);
        let followers: Vec<u64> =
            metrics.membership_config.membership().nodes().map(|(id, _)| *id).filter(|id| *id != metrics.id).collect();
        let synced = metrics.replication.as_ref().map_or(0, |replication| {
            replication
                .iter()
                .filter(|(id, matched)| voters.contains(id) && matched.is_some_and(|m| m.index + 100 >= last))
                .count()
        });
        lines.push(("zk_followers", followers.len().to_string()));
        lines.push(("zk_synced_followers", synced.to_string()));
    }
    lines.iter().fold(String::new(), |mut text, (key, value)| {
        let _ = writeln!(text, "{key}\t{value}");
        text
    })
}

pub(super) async fn health(State(node): Node) -> Response {
    if node.is_healthy() {
        (StatusCode::OK, Json(serde_json::json!({"status": "ok", "mode": node.mode()}))).into_response()
    } else {
        let body = serde_json::json!({"status": "unavailable", "mode": node.mode(), "message": "not in a quorum with a known leader"});
        (StatusCode::SERVICE_UNAVAILABLE, Json(body)).into_response()
    }
}

pub(super) async fn metrics(State(node): Node) -> PrometheusText {
    let status = status_of(&node);
    let (snapshot, purged) = {
        let metrics = node.raft.metrics();
        let metrics = metrics.borrow();
        (metrics.snapshot.map_or(0, |id| id.index), metrics.purged.map_or(0, |id| id.index))
    };
    let mut page = PrometheusText::default();
    page.gauge("corral_coordinator_zxid", "Index of the last applied log entry.", status.zxid as f64)
        .gauge("corral_coordinator_term", "Current raft term (epoch).", status.epoch as f64)
        .gauge("corral_coordinator_is_leader", "1 if this node leads.", f64::from(u8::from(status.mode == "leader")))
        .gauge(
            "corral_coordinator_healthy",
            "1 if in a quorum with a known leader.",
            f64::from(u8::from(node.is_healthy())),
        )
        .gauge("corral_coordinator_znodes", "Number of znodes.", status.node_count as f64)
        .gauge("corral_coordinator_sessions", "Number of live sessions.", status.sessions as f64)
        .gauge("corral_coordinator_ephemerals", "Number of ephemeral znodes.", status.ephemerals as f64)
        .gauge("corral_coordinator_watches_waiting", "Watch long-polls waiting now.", status.watches as f64)
        .gauge("corral_coordinator_watch_history_events", "Events held for watches.", node.applied.history_len() as f64)
        .gauge("corral_coordinator_snapshot_zxid", "Last zxid included in the latest snapshot.", snapshot as f64)
        .gauge("corral_coordinator_purged_zxid", "Last zxid purged from the log.", purged as f64)
        .counter("corral_coordinator_requests_total", "Client requests received.", status.received as f64);
    page
}
