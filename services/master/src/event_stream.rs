//! The SUBSCRIBE response body: the framework's events as RecordIO, with a heartbeat whenever the
//! stream has been quiet for the heartbeat interval. When the client goes away the body is
//! dropped, and the close callback tells the master that this stream is disconnected.

use std::convert::Infallible;
use std::time::Duration;

use axum::body::Body;
use bytes::Bytes;
use corral_wire::mesos::{recordio, Event};
use tokio::sync::mpsc;

/// How many events may wait for a slow subscriber before it is disconnected.
const STREAM_CAPACITY: usize = 65_536;
/// Events queued together are written as one chunk, up to this many.
const EVENTS_PER_CHUNK: usize = 256;

/// The master's end of one subscriber stream.
#[derive(Debug, Clone)]
pub struct EventSender {
    pub stream_id: String,
    sender: mpsc::Sender<Event>,
}

impl EventSender {
    /// Queues `event`; false when the subscriber is gone or too far behind.
    pub fn send(&self, event: Event) -> bool {
        self.sender.try_send(event).is_ok()
    }
}

/// A new stream: the master keeps the sender, the HTTP response streams the receiver.
pub fn channel(stream_id: String) -> (EventSender, mpsc::Receiver<Event>) {
    let (sender, receiver) = mpsc::channel(STREAM_CAPACITY);
    (EventSender { stream_id, sender }, receiver)
}

/// Runs a callback once, when dropped.
struct OnClose(Option<Box<dyn FnOnce() + Send>>);

impl Drop for OnClose {
    fn drop(&mut self) {
        if let Some(close) = self.0.take() {
            close();
        }
    }
}

/// The RecordIO body of `receiver`'s events; `on_close` runs when the body ends or is dropped.
pub fn recordio_body(
    receiver: mpsc::Receiver<Event>,
    heartbeat: Duration,
    on_close: impl FnOnce() + Send + 'static,
) -> Body {
    let state = (receiver, heartbeat, OnClose(Some(Box::new(on_close))));
    let stream = futures::stream::unfold(state, |(mut receiver, heartbeat, on_close)| async move {
        let first = tokio::select! {
            event = receiver.recv() => event?,
            _ = tokio::time::sleep(heartbeat) => Event::heartbeat(),
        };
        let mut chunk = encode(&first);
        for _ in 1..EVENTS_PER_CHUNK {
            match receiver.try_recv() {
                Ok(event) => chunk.extend_from_slice(&encode(&event)),
                Err(_) => break,
            }
        }
        Some((Ok::<_, Infallible>(Bytes::from(chunk)), (receiver, heartbeat, on_close)))
    });
    Body::from_stream(stream)
}

fn encode(event: &Event) -> Vec<u8> {
    recordio::encode(&serde_json::to_vec(event).expect("events always serialize"))
}
