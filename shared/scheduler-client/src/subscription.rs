//! `Subscription`: one SUBSCRIBE stream and the calls made on it.

use corral_wire::mesos::recordio::Decoder;
use corral_wire::mesos::{Call, CallType, Event, EventType, FrameworkId, FrameworkInfo, Subscribe, Subscribed};
use tokio::sync::mpsc;

use crate::{Masters, SchedulerError};

const SCHEDULER_PATH: &str = "/api/v1/scheduler";
const STREAM_ID_HEADER: &str = "mesos-stream-id";
/// Events read ahead of the framework before the reader waits.
const READ_AHEAD: usize = 4096;

#[derive(Debug)]
pub struct Subscription {
    caller: Caller,
    pub framework_id: FrameworkId,
    pub subscribed: Subscribed,
    events: mpsc::Receiver<Result<Event, String>>,
}

impl Subscription {
    /// Subscribes `framework` (with its `id` to subscribe again) at the leading master, following
    /// redirects from standbys, and returns once SUBSCRIBED has arrived.
    pub async fn subscribe(
        http: &reqwest::Client,
        masters: &mut Masters,
        framework: FrameworkInfo,
    ) -> Result<Self, SchedulerError> {
        let master = masters.leader().await;
        let mut call = Call::new(CallType::Subscribe, framework.id.clone());
        call.subscribe = Some(Subscribe { framework_info: framework, suppressed_roles: Vec::new() });
        let response = http
            .post(format!("{master}{SCHEDULER_PATH}"))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(reqwest::header::ACCEPT, "application/json")
            .body(serde_json::to_vec(&call).expect("calls serialize"))
            .send()
            .await
            .map_err(|error| SchedulerError::Unreachable { master: master.clone(), error })?;
        let answered = origin(response.url());
        if !response.status().is_success() {
            return Err(refused(response).await);
        }
        let stream_id = response
            .headers()
            .get(STREAM_ID_HEADER)
            .and_then(|value| value.to_str().ok())
            .ok_or_else(|| SchedulerError::Stream("SUBSCRIBE answered without a Mesos-Stream-Id".into()))?
            .to_string();
        let (sender, mut events) = mpsc::channel(READ_AHEAD);
        tokio::spawn(read_events(response, sender));
        let subscribed = match events.recv().await {
            Some(Ok(Event { event_type: EventType::Subscribed, subscribed: Some(subscribed), .. })) => subscribed,
            Some(Ok(other)) => {
                return Err(SchedulerError::Stream(format!("the first event was {:?}", other.event_type)))
            }
            Some(Err(error)) => return Err(SchedulerError::Stream(error)),
            None => return Err(SchedulerError::Stream("the stream ended before SUBSCRIBED".into())),
        };
        let caller =
            Caller { http: http.clone(), master: answered, stream_id, framework_id: subscribed.framework_id.clone() };
        Ok(Subscription { caller, framework_id: subscribed.framework_id.clone(), subscribed, events })
    }

    /// The next event (heartbeats included); `None` once the stream has ended, after which the
    /// framework subscribes again with its id.
    pub async fn next_event(&mut self) -> Option<Event> {
        match self.events.recv().await? {
            Ok(event) => Some(event),
            Err(error) => {
                tracing::warn!(message = "The scheduler event stream broke.", master = %self.caller.master, %error);
                None
            }
        }
    }

    /// Sends a call (not SUBSCRIBE) on this subscription; the master answers 202.
    pub async fn call(&self, call: Call) -> Result<(), SchedulerError> {
        self.caller.call(call).await
    }

    /// A handle that makes calls on this subscription from other tasks.
    pub fn caller(&self) -> Caller {
        self.caller.clone()
    }

    /// The base URL of the master this subscription is with.
    pub fn master(&self) -> &str {
        &self.caller.master
    }
}

/// Makes calls on one subscription (its master, stream id and framework id); cheap to clone.
#[derive(Debug, Clone)]
pub struct Caller {
    http: reqwest::Client,
    /// The base URL of the master that answered (after any redirect).
    master: String,
    stream_id: String,
    framework_id: FrameworkId,
}

impl Caller {
    /// Sends a call (not SUBSCRIBE); the master answers 202.
    pub async fn call(&self, mut call: Call) -> Result<(), SchedulerError> {
        call.framework_id = Some(self.framework_id.clone());
        let response = self
            .http
            .post(format!("{}{SCHEDULER_PATH}", self.master))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(STREAM_ID_HEADER, &self.stream_id)
            .body(serde_json::to_vec(&call).expect("calls serialize"))
            .send()
            .await
            .map_err(|error| SchedulerError::Unreachable { master: self.master.clone(), error })?;
        match response.status().is_success() {
            true => Ok(()),
            false => Err(refused(response).await),
        }
    }
}

/// `http://host:port` of a URL.
fn origin(url: &reqwest::Url) -> String {
    let host = url.host_str().unwrap_or("localhost");
    match url.port() {
        Some(port) => format!("{}://{host}:{port}", url.scheme()),
        None => format!("{}://{host}", url.scheme()),
    }
}

async fn refused(response: reqwest::Response) -> SchedulerError {
    let status = response.status().as_u16();
    let body = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&body)
        .ok()
        .and_then(|value| value["message"].as_str().map(str::to_string))
        .unwrap_or(body);
    SchedulerError::Refused { status, message }
}

/// Decodes the RecordIO stream into events until it ends, breaks, or nobody listens.
async fn read_events(mut response: reqwest::Response, events: mpsc::Sender<Result<Event, String>>) {
    let mut decoder = Decoder::new();
    loop {
        let chunk = match response.chunk().await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return,
            Err(error) => {
                let _ = events.send(Err(error.to_string())).await;
                return;
            }
        };
        let records = match decoder.feed(&chunk) {
            Ok(records) => records,
            Err(error) => {
                let _ = events.send(Err(error.0)).await;
                return;
            }
        };
        for record in records {
            let event =
                serde_json::from_slice::<Event>(&record).map_err(|error| format!("an unreadable event: {error}"));
            if events.send(event).await.is_err() {
                return;
            }
        }
    }
}
