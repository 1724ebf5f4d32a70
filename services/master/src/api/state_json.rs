//! `/master/state` in Mesos' JSON shape (resources flat: `{"cpus":1,"mem":128,"ports":"[...]"}`).

use corral_wire::mesos::ResourceSet;
use serde_json::{json, Value};

use crate::cluster::{Agent, Cluster, Framework, Task};
use crate::service::{MasterService, MESOS_VERSION};

pub(super) fn master_state(service: &MasterService, cluster: Option<&Cluster>) -> Value {
    let info = &service.info;
    let leader = service.leading_master();
    let mut state = json!({
        "version": MESOS_VERSION,
        "id": info.id,
        "pid": info.pid,
        "hostname": info.hostname,
        "start_time": service.start_time,
        "activated_slaves": cluster.map_or(0, |c| c.agents.len()),
        "deactivated_slaves": 0,
        "slaves": [],
        "frameworks": [],
        "completed_frameworks": [],
        "unregistered_frameworks": [],
    });
    if let Some(leader) = &leader {
        state["leader"] = json!(leader.pid);
        state["leader_info"] = serde_json::to_value(leader).expect("master info serializes");
    }
    let Some(cluster) = cluster else { return state };
    state["elected_time"] = json!(cluster.elected_time);
    let mut agents: Vec<&Agent> = cluster.agents.values().collect();
    agents.sort_by(|a, b| a.id.cmp(&b.id));
    state["slaves"] = agents.iter().map(|agent| agent_json(cluster, agent)).collect();
    let mut frameworks: Vec<&Framework> = cluster.frameworks.values().collect();
    frameworks.sort_by(|a, b| a.id.cmp(&b.id));
    state["frameworks"] = frameworks.iter().map(|framework| framework_json(cluster, framework)).collect();
    state["completed_frameworks"] =
        cluster.completed_frameworks.iter().map(|framework| framework_json(cluster, framework)).collect();
    state
}

fn agent_json(cluster: &Cluster, agent: &Agent) -> Value {
    let mut used = ResourceSet::new();
    for (framework_id, task_id) in &agent.tasks {
        if let Some(task) = cluster.frameworks.get(framework_id).and_then(|f| f.tasks.get(task_id)) {
            used.add(&task.resources);
        }
    }
    let mut offered = ResourceSet::new();
    for outstanding in cluster.offers.values().filter(|o| o.offer.agent_id == agent.id) {
        offered.add(&outstanding.resources);
    }
    let attributes: serde_json::Map<String, Value> = agent
        .attributes
        .iter()
        .map(|attribute| {
            let value = attribute.scalar.map_or_else(|| json!(attribute.value_text()), |scalar| json!(scalar.value));
            (attribute.name.clone(), value)
        })
        .collect();
    json!({
        "id": agent.id.value,
        "pid": format!("slave({})@{}:{}", agent.id, agent.hostname, agent.port),
        "hostname": agent.hostname,
        "port": agent.port,
        "attributes": attributes,
        "resources": agent.total.to_flat_json(),
        "used_resources": used.to_flat_json(),
        "offered_resources": offered.to_flat_json(),
        "unreserved_resources": agent.total.to_flat_json(),
        "active": true,
        "registered_time": agent.registered_time,
        "reregistered_time": agent.reregistered_time,
        "version": agent.version,
    })
}

fn framework_json(cluster: &Cluster, framework: &Framework) -> Value {
    let mut used = ResourceSet::new();
    for task in framework.tasks.values() {
        used.add(&task.resources);
    }
    let mut offered = ResourceSet::new();
    let offers: Vec<Value> = framework
        .offers
        .iter()
        .filter_map(|id| cluster.offers.get(id))
        .map(|outstanding| {
            offered.add(&outstanding.resources);
            json!({
                "id": outstanding.offer.id.value,
                "framework_id": framework.id.value,
                "slave_id": outstanding.offer.agent_id.value,
                "resources": outstanding.resources.to_flat_json(),
            })
        })
        .collect();
    let mut tasks: Vec<&Task> = framework.tasks.values().collect();
    tasks.sort_by(|a, b| a.info.task_id.cmp(&b.info.task_id));
    let info = &framework.info;
    json!({
        "id": framework.id.value,
        "name": info.name,
        "user": info.user,
        "role": info.allocation_role(),
        "roles": [info.allocation_role()],
        "principal": info.principal,
        "hostname": info.hostname.clone().unwrap_or_default(),
        "webui_url": info.webui_url.clone().unwrap_or_default(),
        "failover_timeout": info.failover_timeout.unwrap_or(0.0),
        "checkpoint": info.checkpoint.unwrap_or(false),
        "active": framework.is_connected() && !framework.suppressed,
        "connected": framework.is_connected(),
        "recovered": false,
        "registered_time": framework.registered_time,
        "reregistered_time": framework.reregistered_time,
        "unregistered_time": framework.unregistered_time.unwrap_or(0.0),
        "tasks": tasks.iter().map(|task| task_json(task)).collect::<Vec<_>>(),
        "completed_tasks": framework.completed_tasks.iter().map(task_json).collect::<Vec<_>>(),
        "offers": offers,
        "used_resources": used.to_flat_json(),
        "offered_resources": offered.to_flat_json(),
        "resources": used.plus(&offered).to_flat_json(),
        "dominant_share": cluster.dominant_share(&framework.id),
    })
}

fn task_json(task: &Task) -> Value {
    let statuses: Vec<Value> = task
        .statuses
        .iter()
        .map(|status| {
            let mut value = json!({
                "state": status.state,
                "timestamp": status.timestamp.unwrap_or(0.0),
            });
            if let Some(healthy) = status.healthy {
                value["healthy"] = json!(healthy);
            }
            if let Some(reason) = &status.reason {
                value["reason"] = json!(reason);
            }
            if let Some(source) = &status.source {
                value["source"] = json!(source);
            }
            if let Some(message) = &status.message {
                value["message"] = json!(message);
            }
            value
        })
        .collect();
    let mut value = json!({
        "id": task.info.task_id.value,
        "name": task.info.name,
        "framework_id": task.framework_id.value,
        "executor_id": "",
        "slave_id": task.agent_id.value,
        "state": task.state,
        "resources": task.resources.to_flat_json(),
        "statuses": statuses,
    });
    if let Some(container) = &task.info.container {
        value["container"] = serde_json::to_value(container).expect("container info serializes");
    }
    if let Some(labels) = &task.info.labels {
        value["labels"] = serde_json::to_value(&labels.labels).expect("labels serialize");
    }
    if let Some(discovery) = &task.info.discovery {
        value["discovery"] = discovery.clone();
    }
    value
}
