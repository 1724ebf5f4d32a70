//! Which apps the lb exposes and how: Marathon's apps (with their tasks) become `Service`s, one
//! per exposed service port, each with the servers HAProxy may send traffic to. An app whose
//! labels do not validate, or that clashes with another over a port, is left out with its reason
//! (`Exclusion`); the others are not affected. Pure: host names come in already resolved.

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, SocketAddr};

use corral_wire::marathon::{AppDefinition, AppInfo, Task};

use crate::labels::{port_labels, Mode, PortLabels};

/// Which apps this lb takes: those in its group, or every app (`*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GroupFilter {
    All,
    Named(String),
}

impl GroupFilter {
    pub fn parse(text: &str) -> GroupFilter {
        match text.trim() {
            "*" => GroupFilter::All,
            name => GroupFilter::Named(name.to_string()),
        }
    }

    fn takes(&self, groups: &[String]) -> bool {
        match self {
            GroupFilter::All => true,
            GroupFilter::Named(name) => groups.iter().any(|group| group == name || group == "*"),
        }
    }
}

/// What selection needs to know besides the apps.
#[derive(Debug, Clone)]
pub struct SelectionInput<'a> {
    pub group: &'a GroupFilter,
    /// Ports the lb's own frontends use (HTTP, HTTPS, stats): no app may take them.
    pub reserved_ports: &'a [u16],
    /// The address of every task host that resolved.
    pub addresses: &'a BTreeMap<String, IpAddr>,
    /// Tasks announced as about to be killed: kept, but sent no new requests.
    pub draining: &'a BTreeSet<String>,
}

/// An HTTP health check HAProxy runs too (`option httpchk`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpCheck {
    pub path: String,
    pub interval_seconds: u32,
    pub fall: u32,
}

/// A task HAProxy may send traffic to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Server {
    pub task_id: String,
    pub address: SocketAddr,
    /// Announced as leaving: no new requests.
    pub draining: bool,
}

/// One exposed service port of one app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Service {
    pub app_id: String,
    pub port_index: usize,
    /// The backend's (and the service port frontend's) name: `<app>_<service port>`.
    pub name: String,
    /// The port the service's own frontend binds.
    pub bind_port: u16,
    pub mode: Mode,
    pub labels: PortLabels,
    pub health: Option<HttpCheck>,
    /// The app has health checks, so marathon lists only tasks that passed them.
    pub marathon_checked: bool,
    /// How many tasks the app asks for (the backend's slots are sized from it).
    pub instances: u32,
    /// Sorted by task id.
    pub servers: Vec<Server>,
}

/// An app left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Exclusion {
    pub app: String,
    pub reason: String,
}

/// The services to expose, sorted by name, and the apps left out, sorted by id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selection {
    pub services: Vec<Service>,
    pub excluded: Vec<Exclusion>,
}

/// Chooses and checks the services of `apps` (see the module's rules). Apps are taken in id order,
/// so when two clash over a port the one with the smaller id keeps it.
pub fn select(apps: &[AppInfo], input: &SelectionInput<'_>) -> Selection {
    let mut sorted: Vec<&AppInfo> = apps.iter().collect();
    sorted.sort_by(|a, b| a.app.id.cmp(&b.app.id));
    let mut selection = Selection::default();
    // By port alone: a frontend on every address and one on a single address cannot share a port.
    let mut bound: BTreeMap<u16, String> = BTreeMap::new();
    for info in sorted {
        match app_services(info, input) {
            Ok(services) => {
                let clash = services.iter().find_map(|service| {
                    let key = service.bind_port;
                    if input.reserved_ports.contains(&service.bind_port) {
                        return Some(format!("port {} is one of the lb's own frontends", service.bind_port));
                    }
                    bound.get(&key).map(|other| format!("port {} is already bound for {other}", service.bind_port))
                });
                match clash {
                    Some(reason) => selection.excluded.push(Exclusion { app: info.app.id.clone(), reason }),
                    None => {
                        for service in &services {
                            bound.insert(service.bind_port, info.app.id.clone());
                        }
                        selection.services.extend(services);
                    }
                }
            }
            Err(reason) => selection.excluded.push(Exclusion { app: info.app.id.clone(), reason }),
        }
    }
    selection.services.sort_by(|a, b| a.name.cmp(&b.name));
    selection
}

/// The exposed services of one app, or why the app is left out.
fn app_services(info: &AppInfo, input: &SelectionInput<'_>) -> Result<Vec<Service>, String> {
    let app = &info.app;
    let service_ports = service_ports(app);
    let mut services = Vec::new();
    for (index, service_port) in service_ports.iter().enumerate() {
        let labels = port_labels(&app.labels, index).map_err(|error| error.to_string())?;
        if !labels.enabled || !input.group.takes(&labels.groups) {
            continue;
        }
        let bind_port = match labels.port.or(u16::try_from(*service_port).ok().filter(|port| *port > 0)) {
            Some(port) => port,
            None => return Err(format!("service port {index} has no port number (set HAPROXY_{index}_PORT)")),
        };
        let health = http_check(app, index);
        let mode = match (labels.mode, labels.vhosts.is_empty() && health.is_none()) {
            (Some(mode), _) => mode,
            (None, true) => Mode::Tcp,
            (None, false) => Mode::Http,
        };
        if mode == Mode::Tcp && (labels.sticky || labels.redirect_to_https || labels.http_options.is_some()) {
            return Err(format!("HAPROXY_{index}_STICKY, _REDIRECT_TO_HTTPS and _BACKEND_HTTP_OPTIONS need http mode"));
        }
        let name = format!("{}_{}", backend_stem(&app.id), bind_port);
        let servers = servers(app, info.tasks.as_deref().unwrap_or_default(), index, input);
        services.push(Service {
            app_id: app.id.clone(),
            port_index: index,
            name,
            bind_port,
            mode,
            labels,
            health,
            marathon_checked: !app.health_checks.is_empty(),
            instances: u32::try_from(app.instances).unwrap_or(0),
            servers,
        });
    }
    Ok(services)
}

/// The app's service ports, in port index order.
fn service_ports(app: &AppDefinition) -> Vec<i32> {
    match app.container.as_ref().and_then(|container| container.port_mappings.as_ref()) {
        Some(mappings) if !mappings.is_empty() => mappings.iter().map(|mapping| mapping.service_port).collect(),
        _ => app.port_definitions.iter().flatten().map(|definition| definition.port).collect(),
    }
}

/// The app's first HTTP health check on this port index, as HAProxy's check.
fn http_check(app: &AppDefinition, index: usize) -> Option<HttpCheck> {
    let check = app.health_checks.iter().find(|check| {
        check.protocol.is_http() && check.port_index.unwrap_or(0) == index as i32 && check.port.is_none()
    })?;
    let path = check.path.clone().unwrap_or_else(|| "/".to_string());
    let safe = path.starts_with('/') && path.bytes().all(|b| b.is_ascii_graphic() && !b"\"#'\\".contains(&b));
    Some(HttpCheck {
        path: if safe { path } else { "/".to_string() },
        interval_seconds: u32::try_from(check.interval_seconds.clamp(1, 3600)).unwrap_or(10),
        fall: u32::try_from(check.max_consecutive_failures.clamp(1, 100)).unwrap_or(3),
    })
}

/// Running tasks (and of an app with health checks, only healthy ones) on resolved hosts.
fn servers(app: &AppDefinition, tasks: &[Task], index: usize, input: &SelectionInput<'_>) -> Vec<Server> {
    let checked = !app.health_checks.is_empty();
    let mut servers: Vec<Server> = tasks
        .iter()
        .filter(|task| task.state == "TASK_RUNNING")
        .filter(|task| {
            !checked || (!task.health_check_results.is_empty() && task.health_check_results.iter().all(|r| r.alive))
        })
        .filter_map(|task| {
            let ip = *input.addresses.get(&task.host)?;
            let port = u16::try_from(*task.ports.get(index)?).ok().filter(|port| *port > 0)?;
            Some(Server {
                task_id: task.id.clone(),
                address: SocketAddr::new(ip, port),
                draining: input.draining.contains(&task.id),
            })
        })
        .collect();
    servers.sort();
    servers
}

/// An app id as a config name: `/prod/web` → `prod_web`.
pub fn backend_stem(app_id: &str) -> String {
    app_id
        .trim_start_matches('/')
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' })
        .collect()
}
