//! `Route`: what HAProxy routes now, as `GET /v1/routes` shows it. One route per backend: the
//! frontends that reach it (its own service port, and the vhosts and path on the HTTP and HTTPS
//! frontends) and the tasks in its slots, with each server's state as HAProxy's `show stat`
//! reports it when HAProxy answers. Pure: the plan and `show stat`'s text come in.

use std::net::IpAddr;

use serde::Serialize;

use crate::haproxy_config::bind;
use crate::layout::Plan;

/// One backend and the frontends that send to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Route {
    /// The backend's name (also its service port frontend's), `<app>_<service port>`.
    pub backend: String,
    pub app: String,
    pub port_index: usize,
    /// `tcp` or `http`.
    pub mode: &'static str,
    /// Where the service port's own frontend binds (`:10000`, `127.0.0.1:10000`).
    pub bind: String,
    pub service_port: u16,
    /// Host names routed to it on the HTTP (and HTTPS, by SNI) frontends; empty: none.
    pub vhosts: Vec<String>,
    /// The path prefix those host names need, if any.
    pub path: Option<String>,
    pub redirect_to_https: bool,
    pub balance: String,
    /// Server slots the backend has (filled or not).
    pub slots: usize,
    /// The filled slots, in slot order.
    pub servers: Vec<RouteServer>,
}

/// A task in a backend's slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteServer {
    /// HAProxy's name of the server, `s<slot>`.
    pub name: String,
    pub task_id: String,
    pub address: String,
    /// Announced as leaving: no new requests.
    pub draining: bool,
    /// HAProxy's state of the server (`UP`, `DOWN`, `MAINT`, `DRAIN`, `no check`, ...); None
    /// when HAProxy did not say.
    pub state: Option<String>,
    /// Sessions open to it now, when HAProxy said.
    pub sessions: Option<u64>,
}

/// The routes of `plan`, in backend name order, without server states. `bind_addr` is where the
/// lb's frontends bind (None: every address).
pub fn routes_of(plan: &Plan, bind_addr: Option<IpAddr>) -> Vec<Route> {
    plan.layout
        .backends
        .iter()
        .map(|backend| {
            let service = &backend.service;
            let slots = plan.slots.slots.get(&service.name).map(Vec::as_slice).unwrap_or_default();
            let servers = slots
                .iter()
                .enumerate()
                .filter_map(|(index, slot)| {
                    let server = slot.as_ref()?;
                    Some(RouteServer {
                        name: format!("s{}", index + 1),
                        task_id: server.task_id.clone(),
                        address: server.address.to_string(),
                        draining: server.draining,
                        state: None,
                        sessions: None,
                    })
                })
                .collect();
            Route {
                backend: service.name.clone(),
                app: service.app_id.clone(),
                port_index: service.port_index,
                mode: service.mode.as_str(),
                bind: bind(service.labels.bind_addr.or(bind_addr), service.bind_port),
                service_port: service.bind_port,
                vhosts: service.labels.vhosts.clone(),
                path: service.labels.path.clone(),
                redirect_to_https: service.labels.redirect_to_https,
                balance: service.labels.balance.clone().unwrap_or_else(|| "roundrobin".to_string()),
                slots: backend.slot_count,
                servers,
            }
        })
        .collect()
}

/// Fills in each server's state and sessions from `show stat`'s CSV (columns found by the
/// header's names); a server it does not list keeps None.
pub fn add_server_states(routes: &mut [Route], show_stat: &str) {
    let mut lines = show_stat.lines();
    let Some(header) = lines.next().and_then(|line| line.strip_prefix('#')) else { return };
    let columns: Vec<&str> = header.trim().split(',').collect();
    let column = |name: &str| columns.iter().position(|column| *column == name);
    let (Some(proxy), Some(server), Some(status), Some(sessions)) =
        (column("pxname"), column("svname"), column("status"), column("scur"))
    else {
        return;
    };
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        let (Some(proxy), Some(server)) = (fields.get(proxy), fields.get(server)) else { continue };
        let Some(route) = routes.iter_mut().find(|route| route.backend == *proxy) else { continue };
        let Some(entry) = route.servers.iter_mut().find(|entry| entry.name == *server) else { continue };
        entry.state = fields.get(status).map(|state| state.to_string()).filter(|state| !state.is_empty());
        entry.sessions = fields.get(sessions).and_then(|count| count.parse().ok());
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::net::SocketAddr;

    use super::*;
    use crate::labels::{port_labels, Mode};
    use crate::layout::plan;
    use crate::services::{Selection, Server, Service};

    fn service(name: &str, labels: &[(&str, &str)], tasks: &[&str]) -> Service {
        let labels: BTreeMap<String, String> = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Service {
            app_id: format!("/{name}"),
            port_index: 0,
            name: format!("{name}_10000"),
            bind_port: 10_000,
            mode: Mode::Http,
            labels: port_labels(&labels, 0).unwrap(),
            health: None,
            marathon_checked: false,
            instances: tasks.len() as u32,
            servers: tasks
                .iter()
                .enumerate()
                .map(|(index, id)| Server {
                    task_id: id.to_string(),
                    address: SocketAddr::from(([10, 0, 0, 1], 31_001 + index as u16)),
                    draining: *id == "web.b",
                })
                .collect(),
        }
    }

    #[test]
    fn a_route_names_its_frontends_and_the_tasks_in_its_slots() {
        let web =
            service("web", &[("HAPROXY_0_VHOST", "web.example.com"), ("HAPROXY_0_PATH", "/api")], &["web.a", "web.b"]);
        let selection = Selection { services: vec![web], excluded: Vec::new() };
        let routes = routes_of(&plan(&selection, &Plan::default()), Some("127.0.0.1".parse().unwrap()));
        assert_eq!(routes.len(), 1);
        let route = &routes[0];
        assert_eq!((route.backend.as_str(), route.app.as_str(), route.mode), ("web_10000", "/web", "http"));
        assert_eq!((route.bind.as_str(), route.service_port, route.slots), ("127.0.0.1:10000", 10_000, 8));
        assert_eq!((route.vhosts.clone(), route.path.as_deref()), (vec!["web.example.com".to_string()], Some("/api")));
        let servers: Vec<(&str, &str, &str, bool)> = route
            .servers
            .iter()
            .map(|s| (s.name.as_str(), s.task_id.as_str(), s.address.as_str(), s.draining))
            .collect();
        assert_eq!(servers, [("s1", "web.a", "10.0.0.1:31001", false), ("s2", "web.b", "10.0.0.1:31002", true)]);

        let every_address = routes_of(&plan(&selection, &Plan::default()), None);
        assert_eq!(every_address[0].bind, ":10000");
    }

    #[test]
    fn server_states_come_from_show_stat_by_column_name() {
        let selection = Selection { services: vec![service("web", &[], &["web.a", "web.b"])], excluded: Vec::new() };
        let mut routes = routes_of(&plan(&selection, &Plan::default()), None);
        let stat =
            "# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status\n\
                    web_10000,FRONTEND,,,0,0,5000,0,0,0,0,0,0,,,,,OPEN\n\
                    web_10000,s1,0,0,2,3,,9,0,0,,0,,0,0,0,0,UP\n\
                    web_10000,s2,0,0,0,0,,0,0,0,,0,,0,0,0,0,DRAIN\n\
                    web_10000,s3,0,0,0,0,,0,0,0,,0,,0,0,0,0,MAINT\n\
                    other_1,s1,0,0,7,0,,0,0,0,,0,,0,0,0,0,DOWN\n";
        add_server_states(&mut routes, stat);
        let states: Vec<(Option<&str>, Option<u64>)> =
            routes[0].servers.iter().map(|s| (s.state.as_deref(), s.sessions)).collect();
        assert_eq!(states, [(Some("UP"), Some(2)), (Some("DRAIN"), Some(0))]);

        // An answer without the header (an error text) changes nothing.
        let mut unchanged = routes_of(&plan(&selection, &Plan::default()), None);
        add_server_states(&mut unchanged, "Unknown command.\n");
        assert!(unchanged[0].servers.iter().all(|s| s.state.is_none() && s.sessions.is_none()));
    }
}
