//! Drain before kill: how marathon and the load balancers (`corral-lb`) agree, through znodes in
//! the coordinator, that a task no longer gets requests before marathon kills it.
//!
//! ```text
//! <lb root>/members/<lb id>                        ephemeral, one per running lb (its own session):
//!                                                  an [`LbMember`]
//! <marathon root>/drains/<task id>                 persistent, written by marathon before it kills a
//!                                                  running task: a [`DrainAnnouncement`]
//! <marathon root>/drains/<task id>/<lb id>         persistent and empty, written by each lb once
//!                                                  HAProxy sends the task no more requests
//! ```
//!
//! Marathon kills an announced task once every current member has its confirmation child, or
//! once its drain wait has passed, whichever comes first; with no member, at once. It deletes the
//! drain node with its children when the task is gone, so an lb must create only its child,
//! never the drain node itself (a missing drain node means the drain is over).
//!
//! [`DrainPaths`] names these znodes and tells which of them an event's path is.

use serde::{Deserialize, Serialize};

/// Where the load balancers register by default.
pub const DEFAULT_LB_ROOT: &str = "/corral/lb";

/// The data of `<lb root>/members/<lb id>`: a running load balancer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LbMember {
    pub id: String,
    /// `host:port` of the lb's own API.
    pub address: String,
}

/// The data of `<marathon root>/drains/<task id>`: a task marathon is about to kill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DrainAnnouncement {
    pub task_id: String,
    /// The app's absolute id, such as `/shop/web`.
    pub app_id: String,
    /// The agent's host, as the task's `host` in Marathon's JSON.
    pub host: String,
    /// The task's host ports, as its `ports`.
    pub ports: Vec<u16>,
}

/// The znodes of the drain protocol under marathon's root and the lbs' root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrainPaths {
    marathon_root: String,
    lb_root: String,
}

/// What a znode of the protocol is, read from its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DrainNode {
    /// `<lb root>/members/<lb id>`.
    Member { lb_id: String },
    /// `<marathon root>/drains/<task id>`.
    Drain { task_id: String },
    /// `<marathon root>/drains/<task id>/<lb id>`.
    Confirmation { task_id: String, lb_id: String },
}

impl DrainPaths {
    /// The paths under `marathon_root` (such as `/corral/marathon`) and `lb_root` (`/corral/lb`).
    pub fn new(marathon_root: &str, lb_root: &str) -> Self {
        DrainPaths {
            marathon_root: marathon_root.trim_end_matches('/').to_string(),
            lb_root: lb_root.trim_end_matches('/').to_string(),
        }
    }

    pub fn members(&self) -> String {
        format!("{}/members", self.lb_root)
    }

    pub fn member(&self, lb_id: &str) -> String {
        format!("{}/{lb_id}", self.members())
    }

    pub fn drains(&self) -> String {
        format!("{}/drains", self.marathon_root)
    }

    pub fn drain(&self, task_id: &str) -> String {
        format!("{}/{task_id}", self.drains())
    }

    pub fn confirmation(&self, task_id: &str, lb_id: &str) -> String {
        format!("{}/{lb_id}", self.drain(task_id))
    }

    /// Which znode of the protocol `path` is; `None` for the directories and anything else.
    pub fn classify(&self, path: &str) -> Option<DrainNode> {
        let names = |dir: &str| -> Option<Vec<String>> {
            let rest = path.strip_prefix(dir)?.strip_prefix('/')?;
            let names: Vec<String> = rest.split('/').map(str::to_string).collect();
            names.iter().all(|name| !name.is_empty()).then_some(names)
        };
        if let Some(mut names) = names(&self.members()) {
            return match names.len() {
                1 => Some(DrainNode::Member { lb_id: names.remove(0) }),
                _ => None,
            };
        }
        let mut names = names(&self.drains())?.into_iter();
        match (names.next(), names.next(), names.next()) {
            (Some(task_id), None, None) => Some(DrainNode::Drain { task_id }),
            (Some(task_id), Some(lb_id), None) => Some(DrainNode::Confirmation { task_id, lb_id }),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_name_and_classify_the_protocol_znodes() {
        let paths = DrainPaths::new("/corral/marathon/", "/corral/lb");
        assert_eq!(paths.member("lb-1"), "/corral/lb/members/lb-1");
        assert_eq!(paths.drain("web.1"), "/corral/marathon/drains/web.1");
        assert_eq!(paths.confirmation("web.1", "lb-1"), "/corral/marathon/drains/web.1/lb-1");
        let check = |path: &str, expected: Option<DrainNode>| assert_eq!(paths.classify(path), expected, "{path}");
        check("/corral/lb/members/lb-1", Some(DrainNode::Member { lb_id: "lb-1".into() }));
        check("/corral/marathon/drains/web.1", Some(DrainNode::Drain { task_id: "web.1".into() }));
        check(
            "/corral/marathon/drains/web.1/lb-1",
            Some(DrainNode::Confirmation { task_id: "web.1".into(), lb_id: "lb-1".into() }),
        );
        for other in [
            "/corral/lb/members",
            "/corral/lb/members/a/b",
            "/corral/marathon/drains",
            "/corral/marathon/drains/t/l/x",
            "/corral/marathon/drainsx/t",
            "/corral/marathon/tasks/web.1",
        ] {
            check(other, None);
        }
    }

    #[test]
    fn the_json_shapes_are_the_documented_ones() {
        let drain = DrainAnnouncement {
            task_id: "web.1".into(),
            app_id: "/web".into(),
            host: "10.0.0.5".into(),
            ports: vec![31000, 31001],
        };
        let json = serde_json::json!({"taskId": "web.1", "appId": "/web", "host": "10.0.0.5", "ports": [31000, 31001]});
        assert_eq!(serde_json::to_value(&drain).unwrap(), json);
        let member: LbMember = serde_json::from_str(r#"{"id": "lb-1", "address": "10.0.0.9:9095"}"#).unwrap();
        assert_eq!(member, LbMember { id: "lb-1".into(), address: "10.0.0.9:9095".into() });
    }
}
