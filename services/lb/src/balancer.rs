//! `Balancer`: the one path by which HAProxy's config changes, at startup and on every change
//! alike. Each `sync` reads marathon's apps (keeping the last ones when marathon cannot answer),
//! selects and lays out the services, and then:
//! - when the layout is the one HAProxy serves, only slots changed: runtime API commands, no reload;
//! - otherwise the config is rendered, checked with `haproxy -c`, written atomically and HAProxy
//!   reloaded — but only once the workers of the previous reload have finished, so at most two
//!   generations of workers are ever alive (the last reload's are bounded by `hard-stop-after`).
//!
//! A config `haproxy -c` refuses names the lines it refused; the apps that wrote them are left out
//! (until their definition changes) and the rest is checked again, so one bad app never holds the
//! others back.

use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use corral_wire::marathon::AppInfo;
use serde::Serialize;

use crate::certs::Certificates;
use crate::config::RunConfig;
use crate::haproxy::{Haproxy, HaproxyError, RuntimeApi};
use crate::haproxy_config::{app_certificates, render, HaproxyConfig};
use crate::layout::{plan, Plan};
use crate::marathon::MarathonSource;
use crate::routes::{routes_of, Route};
use crate::runtime_commands::{runtime_changes, Probe};
use crate::services::{select, Exclusion, Selection, SelectionInput};

/// How long a reload waits for the previous generation of workers to finish.
const GENERATION_WAIT: Duration = Duration::from_millis(50);
/// How many times a refused config is narrowed down before the lb gives up on this round.
const MAX_REFUSALS: usize = 8;

/// What the lb reports on `/v1/status` (and `/metrics`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct LbStatus {
    /// Apps with at least one exposed service port.
    pub apps: usize,
    pub services: usize,
    pub servers: usize,
    pub excluded: Vec<ExcludedApp>,
    pub reloads: u64,
    pub runtime_updates: u64,
    pub refused_configs: u64,
    pub drains_confirmed: u64,
    pub certificates_loaded: u64,
    /// When the last routing event from marathon arrived.
    pub last_event: Option<String>,
    /// When the apps were last read from marathon.
    pub last_sync: Option<String>,
    pub last_error: Option<String>,
    /// True once HAProxy serves a config built from marathon's apps.
    pub serving: bool,
    /// HAProxy's stats page (`/haproxy?stats`), its health check and Prometheus metrics.
    pub stats_port: Option<u16>,
    /// The frontend that routes by host name (`HAPROXY_{n}_VHOST`).
    pub http_port: Option<u16>,
    /// The frontend that routes by SNI; None: no HTTPS frontend.
    pub https_port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExcludedApp {
    pub app: String,
    pub reason: String,
}

/// What the API shows: the status, the config HAProxy runs and its routes.
#[derive(Default)]
pub struct LbState {
    pub status: Mutex<LbStatus>,
    pub config: Mutex<String>,
    /// The routes of the config HAProxy runs, without server states.
    pub routes: Mutex<Vec<Route>>,
    /// HAProxy's runtime API, once HAProxy runs: the servers' states come from it.
    pub runtime: OnceLock<RuntimeApi>,
}

impl LbState {
    pub fn status(&self) -> LbStatus {
        self.status.lock().expect("the status lock is never poisoned").clone()
    }

    /// Whether HAProxy serves a config built from marathon's apps (without copying the status).
    pub fn is_serving(&self) -> bool {
        self.status.lock().expect("the status lock is never poisoned").serving
    }

    /// The routes HAProxy serves, without server states.
    pub fn routes(&self) -> Vec<Route> {
        self.routes.lock().expect("the routes lock is never poisoned").clone()
    }

    fn update(&self, change: impl FnOnce(&mut LbStatus)) {
        change(&mut self.status.lock().expect("the status lock is never poisoned"));
    }
}

/// An app refused by `haproxy -c`, kept out until its definition changes.
struct Refusal {
    version: Option<String>,
    reason: String,
}

pub struct Balancer {
    config: RunConfig,
    source: Arc<MarathonSource>,
    pub haproxy: Haproxy,
    certs: Certificates,
    state: Arc<LbState>,
    /// What HAProxy serves.
    current: Plan,
    /// The last apps marathon answered.
    apps: Vec<AppInfo>,
    addresses: BTreeMap<String, IpAddr>,
    refused: BTreeMap<String, Refusal>,
    /// Slots filled since the loop last asked, waiting for their task to answer.
    probes: Vec<Probe>,
}

impl Balancer {
    /// Starts HAProxy on a config without apps: the frontends listen at once.
    pub async fn start(
        config: RunConfig,
        source: Arc<MarathonSource>,
        state: Arc<LbState>,
    ) -> Result<Balancer, HaproxyError> {
        let mut haproxy = Haproxy::new(&config.haproxy, &config.work_dir);
        let certs = Certificates::prepare(&config.work_dir, config.certs_dir.as_deref(), &[]).await?;
        let empty = Plan::default();
        let text = render(&empty, &config.render).text;
        haproxy.check(&text).await?;
        haproxy.install(&text).await?;
        haproxy.start().await?;
        *state.config.lock().expect("the config lock is never poisoned") = text;
        let _ = state.runtime.set(haproxy.runtime_api());
        let render = &config.render;
        state.update(|status| {
            status.stats_port = Some(render.stats_port);
            status.http_port = Some(render.http_port);
            status.https_port = render.tls.as_ref().map(|_| render.https_port);
        });
        Ok(Balancer {
            config,
            source,
            haproxy,
            certs,
            state,
            current: empty,
            apps: Vec::new(),
            addresses: BTreeMap::new(),
            refused: BTreeMap::new(),
            probes: Vec::new(),
        })
    }

    /// The plan HAProxy serves.
    pub fn current(&self) -> &Plan {
        &self.current
    }

    /// Reads the apps again (or keeps the last ones), then applies them with `draining`.
    pub async fn sync(&mut self, draining: &BTreeSet<String>) {
        match self.source.apps().await {
            Ok(apps) => {
                self.apps = apps;
                self.state.update(|status| status.last_sync = Some(corral_kit::wall_clock().to_string()));
            }
            Err(error) => {
                tracing::warn!(message = "Cannot read marathon's apps; keeping the last ones.", %error);
                self.state.update(|status| status.last_error = Some(error));
                if !self.state.is_serving() {
                    return;
                }
            }
        }
        crate::resolve_hosts(&self.apps, &mut self.addresses).await;
        match self.apply(draining).await {
            Ok(()) => self.state.update(|status| {
                status.serving = true;
                status.last_error = None;
            }),
            Err(error) => {
                tracing::warn!(message = "Could not apply marathon's apps; HAProxy keeps its config.", %error);
                self.state.update(|status| status.last_error = Some(error.to_string()));
            }
        }
    }

    async fn apply(&mut self, draining: &BTreeSet<String>) -> Result<(), HaproxyError> {
        let input = SelectionInput {
            group: &self.config.group,
            reserved_ports: &self.config.reserved_ports,
            addresses: &self.addresses,
            draining,
        };
        let selection = select(&self.apps, &input);
        for _ in 0..MAX_REFUSALS {
            let selection = self.without_refused(&selection);
            let next = plan(&selection, &self.current);
            self.report(&selection);
            if next.layout == self.current.layout && self.state.is_serving() {
                return self.update_at_runtime(next).await;
            }
            let config = render(&next, &self.config.render);
            match self.haproxy.check(&config.text).await {
                Ok(()) => return self.reload(next, config).await,
                Err(HaproxyError::Refused { lines, message }) => self.refuse(&config, &lines, &message)?,
                Err(error) => return Err(error),
            }
        }
        Err(HaproxyError::Io(format!("the config was still refused after leaving out {MAX_REFUSALS} rounds of apps")))
    }

    /// Leaves out the apps whose lines `haproxy -c` refused; an error no app caused ends the round.
    fn refuse(&mut self, config: &HaproxyConfig, lines: &[usize], message: &str) -> Result<(), HaproxyError> {
        self.state.update(|status| status.refused_configs += 1);
        let culprits: BTreeSet<&str> = lines.iter().filter_map(|line| config.app_at_line(*line)).collect();
        if culprits.is_empty() {
            return Err(HaproxyError::Refused { lines: lines.to_vec(), message: message.to_string() });
        }
        for app in culprits {
            let version = self
                .apps
                .iter()
                .find(|info| info.app.id == app)
                .and_then(|info| info.app.version.map(|v| v.to_string()));
            let reason = format!("haproxy -c refused its config: {message}");
            tracing::warn!(message = "HAProxy refused an app's config; leaving the app out.", app_id = %app, %reason);
            self.refused.insert(app.to_string(), Refusal { version, reason });
        }
        Ok(())
    }

    /// `selection` without the apps refused before (an app whose version changed is tried again).
    fn without_refused(&mut self, selection: &Selection) -> Selection {
        let versions: BTreeMap<&str, Option<String>> =
            self.apps.iter().map(|info| (info.app.id.as_str(), info.app.version.map(|v| v.to_string()))).collect();
        self.refused
            .retain(|app, refusal| versions.get(app.as_str()).is_some_and(|version| *version == refusal.version));
        let mut narrowed = selection.clone();
        narrowed.services.retain(|service| !self.refused.contains_key(&service.app_id));
        for (app, refusal) in &self.refused {
            narrowed.excluded.push(Exclusion { app: app.clone(), reason: refusal.reason.clone() });
        }
        narrowed.excluded.sort();
        narrowed
    }

    fn report(&self, selection: &Selection) {
        let apps: BTreeSet<&str> = selection.services.iter().map(|service| service.app_id.as_str()).collect();
        self.state.update(|status| {
            status.apps = apps.len();
            status.services = selection.services.len();
            status.servers = selection.services.iter().map(|service| service.servers.len()).sum();
            status.excluded = selection
                .excluded
                .iter()
                .map(|e| ExcludedApp { app: e.app.clone(), reason: e.reason.clone() })
                .collect();
        });
    }

    /// Refills slots through the runtime API; falls back to a reload if HAProxy disagrees.
    async fn update_at_runtime(&mut self, next: Plan) -> Result<(), HaproxyError> {
        let changes = runtime_changes(&self.current.slots, &next);
        if changes.commands.is_empty() {
            self.serve(next);
            return Ok(());
        }
        let commands = changes.commands;
        for command in &commands {
            let answer = self.haproxy.runtime(command).await?;
            if is_runtime_error(&answer) {
                tracing::warn!(message = "HAProxy refused a runtime change; reloading instead.", %command, answer = %answer.trim());
                let config = render(&next, &self.config.render);
                return self.reload(next, config).await;
            }
        }
        tracing::debug!(message = "Servers updated at runtime.", commands = commands.len());
        self.state.update(|status| status.runtime_updates += 1);
        // The file follows, so that a later reload (or a look at /haproxy.cfg) sees the same servers.
        let text = render(&next, &self.config.render).text;
        self.haproxy.install(&text).await?;
        *self.state.config.lock().expect("the config lock is never poisoned") = text;
        self.serve(next);
        self.probes.extend(changes.probes);
        Ok(())
    }

    /// Makes `next` the plan HAProxy serves, and shows its routes.
    fn serve(&mut self, next: Plan) {
        *self.state.routes.lock().expect("the routes lock is never poisoned") =
            routes_of(&next, self.config.render.bind_addr);
        self.current = next;
    }

    /// The slots filled since the last call that wait for their task to answer a connection.
    pub fn take_probes(&mut self) -> Vec<Probe> {
        std::mem::take(&mut self.probes)
    }

    /// Lets a probed task's server in, if its slot still holds it.
    pub async fn probe_answered(&mut self, probe: &Probe) {
        let Some(command) = probe.ready_command(&self.current.slots) else { return };
        match self.haproxy.runtime(&command).await {
            Ok(answer) if !is_runtime_error(&answer) => {
                tracing::debug!(message = "A new task answers; serving it.", task_id = %probe.task_id);
            }
            Ok(answer) => {
                tracing::warn!(message = "HAProxy refused to enable a server.", %command, answer = %answer.trim())
            }
            Err(error) => tracing::warn!(message = "Could not enable a server.", %command, %error),
        }
    }

    /// Installs a checked config and reloads HAProxy, once the previous reload's workers are gone.
    async fn reload(&mut self, next: Plan, config: HaproxyConfig) -> Result<(), HaproxyError> {
        let deadline = Instant::now() + self.config.render.hard_stop_after + Duration::from_secs(2);
        while self.haproxy.processes().await?.generations > 1 && Instant::now() < deadline {
            tokio::time::sleep(GENERATION_WAIT).await;
        }
        let app_certs = app_certificates(&next);
        self.certs.write_list(&app_certs).await?;
        self.haproxy.install(&config.text).await?;
        self.haproxy.reload().await?;
        tracing::info!(message = "HAProxy reloaded with a new config.", backends = next.layout.backends.len());
        self.state.update(|status| status.reloads += 1);
        *self.state.config.lock().expect("the config lock is never poisoned") = config.text;
        self.serve(next);
        Ok(())
    }

    /// Loads certificates added to or changed in `--certs-dir` without a reload.
    pub async fn refresh_certificates(&mut self) {
        let app_certs = app_certificates(&self.current);
        match self.certs.refresh(&self.haproxy, &app_certs).await {
            Ok(0) => {}
            Ok(loaded) => self.state.update(|status| status.certificates_loaded += loaded as u64),
            Err(error) => tracing::warn!(message = "Could not load a certificate.", %error),
        }
    }
}

/// HAProxy answers a successful `set server` with nothing or a note of what changed (or that
/// nothing needed to).
fn is_runtime_error(answer: &str) -> bool {
    let answer = answer.trim().to_ascii_lowercase();
    !(answer.is_empty() || answer.contains("changed from") || answer.starts_with("no need to change"))
}

/// `scur` of one server in `show stat`'s CSV.
pub(crate) fn current_sessions(stats: &str, backend: &str, server: &str) -> Option<u64> {
    stats.lines().find_map(|line| {
        let mut fields = line.split(',');
        let (proxy, name) = (fields.next()?, fields.next()?);
        if proxy != backend || name != server {
            return None;
        }
        // qcur, qmax, then scur.
        fields.nth(2)?.parse().ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_answers_are_told_apart() {
        assert!(!is_runtime_error(""));
        assert!(!is_runtime_error(
            "IP changed from '127.0.0.1' to '10.0.0.2', port changed from '1' to '31001' by 'stats socket command'\n"
        ));
        assert!(!is_runtime_error(
            "No need to change the addr, port changed from '1' to '18001' by 'stats socket command'\n"
        ));
        assert!(!is_runtime_error(
            "no need to change the addr, no need to change the port by 'stats socket command'\n"
        ));
        assert!(is_runtime_error("No such server.\n"));
        assert!(is_runtime_error("Require 'backend/server'.\n"));
    }

    #[test]
    fn current_sessions_are_read_from_show_stat() {
        let stats = "# pxname,svname,qcur,qmax,scur,smax\nweb_10000,s1,0,0,3,5\nweb_10000,s2,0,0,0,2\n";
        assert_eq!(current_sessions(stats, "web_10000", "s1"), Some(3));
        assert_eq!(current_sessions(stats, "web_10000", "s2"), Some(0));
        assert_eq!(current_sessions(stats, "web_10000", "s3"), None);
    }
}
