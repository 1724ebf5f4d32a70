//! corral-lb: marathon-lb's service discovery and TLS termination for Corral, as configs for
//! Debian's HAProxy.
//!
//! - Pure, no IO: `labels.rs` and `template.rs` (marathon-lb's labels, checked), `services.rs`
//!   (apps → exposed services and excluded apps), `layout.rs` (backends with pre-allocated server
//!   slots), `haproxy_config.rs` (the config text), `runtime_commands.rs` (slot changes as
//!   runtime API commands, and the probes of new tasks).
//! - IO around them: `marathon.rs` (apps and events, several URLs), `haproxy.rs` (check, start,
//!   reload, runtime API), `certs.rs` (crt-list, default certificate, certificates added at
//!   runtime), `drains.rs` (drain before kill, through the coordinator), `balancer.rs` (the one
//!   apply path), `api.rs` (the lb's own HTTP API and its web page, `src/ui/`).
//! - `routes.rs` (pure): what HAProxy routes now, for `/v1/routes` and the page.
//!
//! What is absent on purpose: no proxying of its own (HAProxy carries every byte), and no label
//! value is ever written into a config without being parsed first.

pub mod api;
pub mod balancer;
pub mod certs;
pub mod config;
pub mod drains;
pub mod haproxy;
pub mod haproxy_config;
pub mod labels;
pub mod layout;
pub mod marathon;
pub mod routes;
pub mod runtime_commands;
pub mod services;
pub mod template;

#[cfg(test)]
mod render_tests;

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use corral_coord_client::CoordClient;
use corral_wire::lb::{DrainPaths, LbMember};
use corral_wire::marathon::{AppInfo, AppList};
use tokio::sync::{mpsc, watch};

use crate::balancer::{Balancer, LbState};
use crate::config::{marathon_urls, RenderArgs, RunConfig};
use crate::drains::DrainLink;
use crate::haproxy::{HaproxyError, RuntimeApi};
use crate::haproxy_config::TlsSource;
use crate::layout::{plan, Plan};
use crate::marathon::{MarathonSource, Signal};
use crate::runtime_commands::Probe;
use crate::services::{select, SelectionInput};

/// Events arriving close together share one sync.
const DEBOUNCE: Duration = Duration::from_millis(20);
/// How often `--certs-dir` is looked at for new or changed certificates.
const CERTS_POLL: Duration = Duration::from_secs(2);
/// The longest a drained task's running requests are waited for before the drain is confirmed.
const DRAIN_SETTLE: Duration = Duration::from_secs(3);
/// How often a new task is tried until it accepts a connection, and for how long.
const PROBE_EVERY: Duration = Duration::from_millis(25);
const PROBE_FOR: Duration = Duration::from_secs(120);

/// Why the lb stopped.
#[derive(Debug, thiserror::Error)]
pub enum LbError {
    #[error("{0}")]
    Listen(#[from] std::io::Error),
    #[error("haproxy: {0}")]
    Haproxy(#[from] HaproxyError),
    #[error("{0}")]
    Port(String),
    #[error("haproxy exited: {0}")]
    HaproxyExited(String),
}

/// `corral-lb render`: the config for marathon's apps (or a saved answer), with the apps left
/// out and why on stderr.
pub async fn render_command(args: &RenderArgs) -> Result<String, String> {
    let tls = args.render.certs_dir.clone().map(TlsSource::Dir);
    let (group, options) = args.render.options(tls, None, Duration::from_secs(15))?;
    let apps = match (&args.apps, &args.marathon) {
        (Some(file), _) => {
            let text = std::fs::read_to_string(file).map_err(|e| format!("--apps: {}: {e}", file.display()))?;
            serde_json::from_str::<AppList>(&text).map_err(|e| format!("--apps: {}: {e}", file.display()))?.apps
        }
        (None, Some(list)) => {
            let security = args.security.load().map_err(|error| error.to_string())?;
            MarathonSource::new(marathon_urls(list)?, security.client.http_client()).apps().await?
        }
        (None, None) => return Err("give --marathon or --apps".to_string()),
    };
    let mut addresses = BTreeMap::new();
    resolve_hosts(&apps, &mut addresses).await;
    let reserved = args.render.reserved_ports();
    let draining = BTreeSet::new();
    let input = SelectionInput { group: &group, reserved_ports: &reserved, addresses: &addresses, draining: &draining };
    let selection = select(&apps, &input);
    for exclusion in &selection.excluded {
        eprintln!("corral-lb: left out {}: {}", exclusion.app, exclusion.reason);
    }
    Ok(haproxy_config::render(&plan(&selection, &Plan::default()), &options).text)
}

/// Resolves the task hosts `addresses` does not know yet; a name that does not resolve is left
/// out (and so are its tasks).
pub async fn resolve_hosts(apps: &[AppInfo], addresses: &mut BTreeMap<String, IpAddr>) {
    let hosts: BTreeSet<&str> = apps
        .iter()
        .flat_map(|app| app.tasks.iter().flatten())
        .map(|task| task.host.as_str())
        .filter(|host| !addresses.contains_key(*host))
        .collect();
    for host in hosts {
        let resolved = match host.parse::<IpAddr>() {
            Ok(ip) => Some(ip),
            Err(_) => tokio::net::lookup_host((host, 0)).await.ok().and_then(|mut found| found.next()).map(|a| a.ip()),
        };
        match resolved {
            Some(ip) => {
                addresses.insert(host.to_string(), ip);
            }
            None => tracing::warn!(message = "A task host does not resolve; its tasks are left out.", %host),
        }
    }
}

/// `corral-lb run`: serves the API, starts HAProxy, and keeps it matching marathon until
/// SIGTERM (then HAProxy's workers finish their connections and the lb leaves the drain
/// protocol).
pub async fn run(config: RunConfig) -> Result<(), LbError> {
    tokio::fs::create_dir_all(&config.work_dir).await?;
    let listener = corral_kit::bind(config.listen).await?;
    let state = Arc::new(LbState::default());
    let (stopping, stop) = watch::channel(false);
    let until_stopped = move |mut stop: watch::Receiver<bool>| async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    let router = api::router(state.clone(), &config.security);
    let server = corral_kit::spawn_server(listener, router, config.security.server_tls.clone());

    let source = MarathonSource::new(config.marathon.clone(), config.security.client.http_client());
    let (signals_sender, mut signals) = mpsc::channel(256);
    tokio::spawn(source.clone().follow_events(signals_sender));
    let (announced_sender, mut announced) = watch::channel(BTreeSet::new());
    let (ready, ready_receiver) = watch::channel(false);
    let link = config.coordinator.clone().map(|addresses| {
        let member = LbMember { id: corral_kit::random_uuid(), address: config.advertise.clone() };
        let client = CoordClient::with_security(addresses, &config.security.client);
        DrainLink::new(client, DrainPaths::new(&config.marathon_root, &config.lb_root), member)
    });
    let registration = link.clone().map(|link| {
        let (timeout, stop) = (config.session_timeout, stop.clone());
        tokio::spawn(async move { link.stay_registered(timeout, ready_receiver, until_stopped(stop)).await })
    });
    if let Some(link) = link.clone() {
        tokio::spawn(async move { link.follow_announcements(announced_sender).await });
    }

    check_ports_free(&config)?;
    let mut balancer = Balancer::start(config.clone(), source, state.clone()).await?;
    tracing::info!(message = "corral-lb started.", api = %config.listen, marathon = ?config.marathon);
    let haproxy_exited = balancer.haproxy.exited();
    tokio::pin!(haproxy_exited);
    let mut shutdown = Box::pin(server.signalled());
    let mut certs_poll = tokio::time::interval(CERTS_POLL);
    let mut confirmed: BTreeSet<String> = BTreeSet::new();
    let (answered, mut answers) = mpsc::unbounded_channel();
    let mut pending = true;
    let mut next_resync = tokio::time::Instant::now();
    let stopped = loop {
        if pending {
            tokio::time::sleep(DEBOUNCE).await;
            while signals.try_recv().is_ok() {}
            let draining = announced.borrow_and_update().clone();
            balancer.sync(&draining).await;
            ready.send_replace(state.is_serving());
            if let Some(link) = &link {
                confirm_drains(&balancer, link, &draining, &mut confirmed, &state);
            }
            for probe in balancer.take_probes() {
                tokio::spawn(probe_until_answered(probe, answered.clone()));
            }
            pending = false;
            next_resync = tokio::time::Instant::now() + config.resync;
        }
        tokio::select! {
            signal = signals.recv() => {
                if signal == Some(Signal::Changed) {
                    state.status.lock().expect("the status lock is never poisoned").last_event =
                        Some(corral_kit::wall_clock().to_string());
                }
                pending = true;
            }
            Ok(()) = announced.changed() => pending = true,
            Some(probe) = answers.recv() => balancer.probe_answered(&probe).await,
            () = tokio::time::sleep_until(next_resync) => pending = true,
            _ = certs_poll.tick() => balancer.refresh_certificates().await,
            how = &mut haproxy_exited => break Err(LbError::HaproxyExited(how)),
            () = &mut shutdown => break Ok(()),
        }
    };
    drop(shutdown);
    stopping.send_replace(true);
    if let Some(registration) = registration {
        let _ = registration.await;
    }
    balancer.haproxy.stop().await;
    let _ = server.stopped(Duration::from_secs(1)).await;
    stopped
}

/// Fails, naming the flag, when a port of the lb's own frontends is taken.
fn check_ports_free(config: &RunConfig) -> Result<(), LbError> {
    let ip = config.render.bind_addr.unwrap_or(IpAddr::from([0, 0, 0, 0]));
    let render = &config.render;
    for (flag, port) in
        [("--http-port", render.http_port), ("--https-port", render.https_port), ("--stats-port", render.stats_port)]
    {
        if let Err(error) = std::net::TcpListener::bind((ip, port)) {
            return Err(LbError::Port(format!("{flag}: cannot listen on {ip}:{port}: {error}")));
        }
    }
    Ok(())
}

/// Confirms the drains of announced tasks once HAProxy's running requests to them have ended
/// (a task this lb does not route is confirmed at once). Each drain is confirmed once.
fn confirm_drains(
    balancer: &Balancer,
    link: &DrainLink,
    draining: &BTreeSet<String>,
    confirmed: &mut BTreeSet<String>,
    state: &Arc<LbState>,
) {
    confirmed.retain(|task| draining.contains(task));
    let new: Vec<String> = draining.difference(confirmed).cloned().collect();
    for task in &new {
        confirmed.insert(task.clone());
        let places: Vec<(String, String)> = balancer
            .current()
            .slots
            .places_of(task)
            .map(|(backend, slot, _)| (backend.to_string(), format!("s{slot}")))
            .collect();
        let (api, link, task, state) = (balancer.haproxy.runtime_api(), link.clone(), task.clone(), state.clone());
        tokio::spawn(async move {
            let deadline = tokio::time::Instant::now() + DRAIN_SETTLE;
            while !places.is_empty() && tokio::time::Instant::now() < deadline {
                if sessions(&api, &places).await == Some(0) {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            match link.confirm(&task).await {
                Ok(()) => {
                    tracing::debug!(message = "Drain confirmed.", task_id = %task);
                    state.status.lock().expect("the status lock is never poisoned").drains_confirmed += 1;
                }
                Err(error) => tracing::warn!(message = "Could not confirm a drain.", task_id = %task, %error),
            }
        });
    }
}

/// Connects to a new task's address until it answers (then reports it) or `PROBE_FOR` passes.
async fn probe_until_answered(probe: Probe, answered: mpsc::UnboundedSender<Probe>) {
    let deadline = tokio::time::Instant::now() + PROBE_FOR;
    while tokio::time::Instant::now() < deadline && !answered.is_closed() {
        let attempt = tokio::time::timeout(Duration::from_secs(1), tokio::net::TcpStream::connect(probe.address));
        if let Ok(Ok(_)) = attempt.await {
            let _ = answered.send(probe);
            return;
        }
        tokio::time::sleep(PROBE_EVERY).await;
    }
    tracing::warn!(message = "A new task never accepted a connection; HAProxy's checks decide.", task_id = %probe.task_id);
}

/// Current sessions of the servers `places` (backend, server); None when HAProxy cannot tell.
async fn sessions(api: &RuntimeApi, places: &[(String, String)]) -> Option<u64> {
    let stats = api.command("show stat").await.ok()?;
    Some(places.iter().map(|(backend, server)| balancer::current_sessions(&stats, backend, server).unwrap_or(0)).sum())
}
