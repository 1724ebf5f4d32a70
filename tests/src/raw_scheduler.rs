//! `RawScheduler`: a Mesos framework written against the documented v1 scheduler HTTP API only,
//! in raw HTTP and JSON (`serde_json::Value`), with none of Corral's own types, so the tests that
//! use it check what any framework would see.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::sync::mpsc;

/// What a call needs; cheap to clone into concurrent tasks.
#[derive(Clone)]
pub struct RawCaller {
    http: reqwest::Client,
    /// `http://host:port/api/v1/scheduler` of the master this scheduler subscribed to.
    pub url: String,
    pub stream_id: String,
    pub framework_id: String,
}

impl RawCaller {
    /// POSTs a call with this framework's id and stream id; returns the status and body.
    pub async fn call(&self, mut call: Value) -> (u16, String) {
        call["framework_id"] = json!({"value": self.framework_id});
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .header("mesos-stream-id", &self.stream_id)
            .body(call.to_string())
            .send()
            .await
            .expect("scheduler call");
        (response.status().as_u16(), response.text().await.unwrap_or_default())
    }

    /// ACKNOWLEDGEs a status if it carries a uuid.
    pub async fn acknowledge(&self, status: &Value) {
        if let Some(uuid) = status.get("uuid") {
            let call = json!({"type": "ACKNOWLEDGE", "acknowledge": {
                "agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": uuid}});
            let (code, body) = self.call(call).await;
            assert_eq!(code, 202, "ACKNOWLEDGE: {body}");
        }
    }
}

pub struct RawScheduler {
    pub caller: RawCaller,
    /// Shorthands for the caller's fields.
    pub url: String,
    pub stream_id: String,
    pub framework_id: String,
    events: mpsc::UnboundedReceiver<Value>,
    /// Every event received so far, in order.
    pub seen: Vec<Value>,
}

impl RawScheduler {
    /// SUBSCRIBEs with `framework_info` (which may carry an `id` to re-subscribe), following 307s,
    /// and waits for SUBSCRIBED.
    pub async fn subscribe(url: &str, framework_info: Value) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| error.to_string())?;
        let mut url = url.to_string();
        let mut call = json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": framework_info}});
        if let Some(id) = framework_info.get("id") {
            call["framework_id"] = id.clone();
        }
        let response = loop {
            let response = http
                .post(&url)
                .header("content-type", "application/json")
                .header("accept", "application/json")
                .body(call.to_string())
                .send()
                .await
                .map_err(|error| error.to_string())?;
            if response.status() == 307 {
                let location = response.headers()["location"].to_str().unwrap().to_string();
                url = format!("http:{location}");
                continue;
            }
            break response;
        };
        if response.status() != 200 {
            return Err(format!(
                "SUBSCRIBE answered {}: {}",
                response.status(),
                response.text().await.unwrap_or_default()
            ));
        }
        let stream_id = response.headers()["mesos-stream-id"].to_str().unwrap().to_string();
        let (sender, events) = mpsc::unbounded_channel();
        tokio::spawn(read_recordio(response, sender));
        let caller = RawCaller { http, url: url.clone(), stream_id: stream_id.clone(), framework_id: String::new() };
        let mut scheduler =
            RawScheduler { caller, url, stream_id, framework_id: String::new(), events, seen: Vec::new() };
        let subscribed = scheduler
            .wait_for(Duration::from_secs(10), |event| event["type"] == "SUBSCRIBED")
            .await
            .ok_or("no SUBSCRIBED event")?;
        scheduler.framework_id = subscribed["subscribed"]["framework_id"]["value"].as_str().unwrap().to_string();
        scheduler.caller.framework_id = scheduler.framework_id.clone();
        Ok(scheduler)
    }

    /// POSTs a call with this framework's id and stream id; returns the status and body.
    pub async fn call(&self, call: Value) -> (u16, String) {
        self.caller.call(call).await
    }

    /// The next event (heartbeats included), or `None` after `within`.
    pub async fn next_event(&mut self, within: Duration) -> Option<Value> {
        let event = tokio::time::timeout(within, self.events.recv()).await.ok()??;
        self.seen.push(event.clone());
        Some(event)
    }

    /// Takes events until one matches; the others are dropped (they stay in `seen`). Waits are
    /// stretched by `CORRAL_TEST_PATIENCE`, as every wait in the end-to-end tests is.
    pub async fn wait_for(&mut self, within: Duration, wanted: impl Fn(&Value) -> bool) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + corral_testkit::patience(within);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next_event(left).await?;
            if wanted(&event) {
                return Some(event);
            }
        }
    }

    /// Waits for the UPDATE of `task_id` reaching `state`, acknowledging every update it passes
    /// that carries a uuid; panics, with the status, if the task ends in another state first.
    /// An update seen earlier (while waiting for something else) counts.
    pub async fn wait_for_state(&mut self, task_id: &str, state: &str, within: Duration) -> Option<Value> {
        let earlier = self.seen.iter().find_map(|event| {
            let status = &event["update"]["status"];
            (status["task_id"]["value"] == task_id && status["state"] == state).then(|| status.clone())
        });
        if let Some(status) = earlier {
            self.acknowledge(&status).await;
            return Some(status);
        }
        let deadline = tokio::time::Instant::now() + corral_testkit::patience(within);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let event = self.next_event(left).await?;
            let Some(status) = event.get("update").map(|update| update["status"].clone()) else { continue };
            self.acknowledge(&status).await;
            if status["task_id"]["value"] != task_id {
                continue;
            }
            if status["state"] == state {
                return Some(status);
            }
            let ended = ["TASK_FINISHED", "TASK_FAILED", "TASK_KILLED", "TASK_ERROR", "TASK_LOST", "TASK_DROPPED"];
            assert!(
                !ended.iter().any(|end| status["state"] == *end),
                "task {task_id} ended while waiting for {state}: {status}"
            );
        }
    }

    /// ACKNOWLEDGEs a status if it carries a uuid.
    pub async fn acknowledge(&self, status: &Value) {
        self.caller.acknowledge(status).await
    }
}

/// Reads the RecordIO stream: `<length>\n<json>` repeated, chunks split anywhere.
async fn read_recordio(mut response: reqwest::Response, events: mpsc::UnboundedSender<Value>) {
    let mut buffer: Vec<u8> = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        buffer.extend_from_slice(&chunk);
        while let Some(newline) = buffer.iter().position(|byte| *byte == b'\n') {
            let length: usize = std::str::from_utf8(&buffer[..newline]).unwrap().trim().parse().expect("record length");
            if buffer.len() < newline + 1 + length {
                break;
            }
            let record: Value = serde_json::from_slice(&buffer[newline + 1..newline + 1 + length]).expect("JSON event");
            buffer.drain(..newline + 1 + length);
            if events.send(record).is_err() {
                return;
            }
        }
    }
}

/// A scalar resource as Mesos writes it.
pub fn scalar(name: &str, value: f64) -> Value {
    json!({"name": name, "type": "SCALAR", "scalar": {"value": value}})
}

/// A one-port `ports` resource.
pub fn port(number: u64) -> Value {
    json!({"name": "ports", "type": "RANGES", "ranges": {"range": [{"begin": number, "end": number}]}})
}

/// The first port of an offer's `ports` resource.
pub fn first_offered_port(offer: &Value) -> u64 {
    offer["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|resource| resource["name"] == "ports")
        .and_then(|ports| ports["ranges"]["range"][0]["begin"].as_u64())
        .expect("the offer has ports")
}
