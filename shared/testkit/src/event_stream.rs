//! A test client of Server-Sent Events (marathon's `/v2/events`): the stream is read in the
//! background and parsed into `(event name, data as JSON)` pairs.

use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::patience;

/// One SSE subscription, read in the background into (event name, data) pairs.
pub struct EventStream {
    events: mpsc::UnboundedReceiver<(String, Value)>,
    reader: JoinHandle<()>,
}

impl EventStream {
    /// Subscribes at `url` with `Accept: text/event-stream`; panics unless it answers 200.
    pub async fn open(url: &str) -> EventStream {
        let response = reqwest::Client::new()
            .get(url)
            .header("accept", "text/event-stream")
            .send()
            .await
            .unwrap_or_else(|error| panic!("GET {url}: {error}"));
        assert_eq!(response.status(), 200, "GET {url}");
        let content_type = response.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or_default();
        assert!(content_type.starts_with("text/event-stream"), "GET {url}: content-type {content_type:?}");
        let (sender, events) = mpsc::unbounded_channel();
        let reader = tokio::spawn(async move {
            let mut response = response;
            let mut buffer = String::new();
            while let Ok(Some(chunk)) = response.chunk().await {
                buffer.push_str(&String::from_utf8_lossy(&chunk).replace("\r\n", "\n"));
                while let Some(end) = buffer.find("\n\n") {
                    let block: String = buffer.drain(..end + 2).collect();
                    if let Some(event) = parse_event(&block) {
                        let _ = sender.send(event);
                    }
                }
            }
        });
        EventStream { events, reader }
    }

    /// The next event within `within` (patience-scaled), if one comes.
    pub async fn next(&mut self, within: Duration) -> Option<(String, Value)> {
        tokio::time::timeout(patience(within), self.events.recv()).await.ok().flatten()
    }
}

impl Drop for EventStream {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

/// One SSE message: `event:` (default `message`) and its `data:` lines as JSON; comments and
/// messages without data (heartbeats) give nothing.
fn parse_event(block: &str) -> Option<(String, Value)> {
    let mut name = "message".to_string();
    let mut data: Vec<&str> = Vec::new();
    for line in block.lines() {
        if let Some(value) = line.strip_prefix("event:") {
            name = value.trim_start().to_string();
        } else if let Some(value) = line.strip_prefix("data:") {
            data.push(value.strip_prefix(' ').unwrap_or(value));
        }
    }
    let data = data.join("\n");
    if data.trim().is_empty() {
        return None;
    }
    Some((name, serde_json::from_str(&data).unwrap_or(Value::String(data))))
}
