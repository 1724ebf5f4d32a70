//! Marathon as the lb reads it: `GET /v2/apps?embed=apps.tasks` from the first instance that
//! answers (any instance will do: non-leaders forward), and `/v2/events` followed for the events
//! that change routing. A URL that fails or hangs is left for the next one; the instance that
//! last answered is asked first.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use corral_wire::marathon::{AppInfo, AppList};
use tokio::sync::mpsc;

/// How long one `GET /v2/apps` may take before the next URL is tried.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// A stream silent this long is taken for hung (marathon sends a heartbeat every 15 s).
const STREAM_SILENCE: Duration = Duration::from_secs(35);
/// The pause before the event stream is opened again elsewhere.
const RECONNECT: Duration = Duration::from_millis(250);

/// The events after which the lb reads the apps again.
const ROUTING_EVENTS: &[&str] = &[
    "status_update_event",
    "health_status_changed_event",
    "api_post_event",
    "app_terminated_event",
    "deployment_success",
    "deployment_info",
];

/// What the event stream tells the lb.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    /// The stream was (re)opened: anything may have changed meanwhile.
    Connected,
    /// An event that may change routing.
    Changed,
}

/// Where the apps come from.
pub struct MarathonSource {
    urls: Vec<String>,
    http: reqwest::Client,
    current: AtomicUsize,
}

impl MarathonSource {
    /// Reads from the instances at `urls` through `http` (with the lb's TLS and token).
    pub fn new(urls: Vec<String>, http: reqwest::Client) -> Arc<MarathonSource> {
        Arc::new(MarathonSource { urls, http, current: AtomicUsize::new(0) })
    }

    /// Every app with its tasks, from the first instance that answers.
    pub async fn apps(&self) -> Result<Vec<AppInfo>, String> {
        let start = self.current.load(Ordering::Relaxed);
        let mut errors = Vec::new();
        for offset in 0..self.urls.len() {
            let index = (start + offset) % self.urls.len();
            let url = format!("{}/v2/apps?embed=apps.tasks", self.urls[index]);
            match self.fetch(&url).await {
                Ok(apps) => {
                    self.current.store(index, Ordering::Relaxed);
                    return Ok(apps);
                }
                Err(error) => errors.push(format!("{url}: {error}")),
            }
        }
        Err(errors.join("; "))
    }

    async fn fetch(&self, url: &str) -> Result<Vec<AppInfo>, String> {
        let response = self.http.get(url).timeout(FETCH_TIMEOUT).send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        let list: AppList = response.json().await.map_err(|e| e.to_string())?;
        Ok(list.apps)
    }

    /// Follows `/v2/events` for as long as the lb runs, moving to the next URL when a stream
    /// fails, ends or goes silent.
    pub async fn follow_events(self: Arc<Self>, signals: mpsc::Sender<Signal>) {
        let query: String =
            ROUTING_EVENTS.iter().map(|kind| format!("event_type={kind}")).collect::<Vec<_>>().join("&");
        loop {
            let index = self.current.load(Ordering::Relaxed);
            let url = format!("{}/v2/events?{query}", self.urls[index]);
            match self.stream(&url, &signals).await {
                Ok(()) => tracing::info!(message = "Marathon's event stream ended; reconnecting.", %url),
                Err(error) => {
                    tracing::warn!(message = "Marathon's event stream failed; trying the next URL.", %url, %error)
                }
            }
            if signals.is_closed() {
                return;
            }
            self.current.store((index + 1) % self.urls.len(), Ordering::Relaxed);
            tokio::time::sleep(RECONNECT).await;
        }
    }

    async fn stream(&self, url: &str, signals: &mpsc::Sender<Signal>) -> Result<(), String> {
        let mut response =
            self.http.get(url).header("accept", "text/event-stream").send().await.map_err(|e| e.to_string())?;
        if !response.status().is_success() {
            return Err(format!("answered {}", response.status()));
        }
        let _ = signals.send(Signal::Connected).await;
        let mut pending = String::new();
        loop {
            let chunk = match tokio::time::timeout(STREAM_SILENCE, response.chunk()).await {
                Err(_) => return Err(format!("silent for {} s", STREAM_SILENCE.as_secs())),
                Ok(Err(error)) => return Err(error.to_string()),
                Ok(Ok(None)) => return Ok(()),
                Ok(Ok(Some(chunk))) => chunk,
            };
            pending.push_str(&String::from_utf8_lossy(&chunk));
            let mut changed = false;
            while let Some(end) = pending.find('\n') {
                let line: String = pending.drain(..=end).collect();
                if let Some(kind) = line.trim_end().strip_prefix("event:") {
                    changed |= ROUTING_EVENTS.contains(&kind.trim());
                }
            }
            if changed && signals.send(Signal::Changed).await.is_err() {
                return Ok(());
            }
        }
    }
}
