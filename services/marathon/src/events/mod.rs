//! The event bus behind `/v2/events`: every part of marathon publishes what happened (a status
//! update, a deployment step, an app gone) and every attached event stream receives it.
//!
//! It is a bounded `tokio::sync::broadcast` channel of `Arc<Event>`: publishing never waits and
//! costs the same with no subscriber or a thousand, each event is serialized only by the streams
//! that send it, and a subscriber that falls more than `capacity` events behind is told so
//! (`RecvError::Lagged`) instead of slowing the publisher down. `sse.rs` turns that into
//! Marathon's rule: a slow consumer is disconnected.
//!
//! Streams hold only receivers, so dropping every `EventBus` clone (for instance when this
//! instance stops leading) ends every stream.

mod sse;

use std::sync::Arc;

use corral_wire::marathon::{Event, EventKind};
use tokio::sync::broadcast;

use crate::clock;

pub use sse::{accepts_event_stream, event_stream, event_stream_not_accepted, EventFilter, HEARTBEAT};

/// How many events a stream may fall behind before it is disconnected. Marathon buffers
/// `event_stream_max_outstanding_messages` events per consumer, 1024 by default.
pub const DEFAULT_CAPACITY: usize = 1024;

/// A cheap handle on the bus; clones share one channel.
#[derive(Debug, Clone)]
pub struct EventBus {
    sender: broadcast::Sender<Arc<Event>>,
}

impl EventBus {
    /// A bus on which a subscriber may fall `capacity` events behind (at least one).
    pub fn new(capacity: usize) -> EventBus {
        let (sender, _) = broadcast::channel(capacity.max(1));
        EventBus { sender }
    }

    /// Sends `kind` stamped with the current time to every subscriber. Never blocks; with no
    /// subscriber the event is simply dropped.
    pub fn publish(&self, kind: EventKind) {
        let event = Event { kind, timestamp: clock::now() };
        // An error only means that nobody listens right now.
        let _ = self.sender.send(Arc::new(event));
    }

    /// A receiver of every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.sender.subscribe()
    }

    /// How many receivers (attached streams included) exist.
    pub fn subscriber_count(&self) -> usize {
        self.sender.receiver_count()
    }

    /// A handle that does not keep the channel open; see `sse.rs`.
    fn downgrade(&self) -> broadcast::WeakSender<Arc<Event>> {
        self.sender.downgrade()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::broadcast::error::TryRecvError;

    fn terminated(app_id: &str) -> EventKind {
        EventKind::AppTerminatedEvent { app_id: app_id.to_string() }
    }

    #[test]
    fn publishes_to_every_subscriber_with_a_timestamp() {
        let bus = EventBus::new(8);
        let (mut first, mut second) = (bus.subscribe(), bus.clone().subscribe());
        assert_eq!(bus.subscriber_count(), 2);

        let before = clock::now();
        bus.publish(terminated("/web"));
        for receiver in [&mut first, &mut second] {
            let event = receiver.try_recv().expect("an event");
            assert_eq!(event.kind, terminated("/web"));
            assert!(event.timestamp >= before && event.timestamp <= clock::now());
        }
    }

    #[test]
    fn publishing_without_subscribers_is_fine() {
        let bus = EventBus::new(1);
        bus.publish(terminated("/nobody-listens"));
        let mut late = bus.subscribe();
        assert_eq!(late.try_recv().unwrap_err(), TryRecvError::Empty, "only later events are received");
    }

    #[test]
    fn a_subscriber_too_far_behind_is_told_so() {
        let bus = EventBus::new(2);
        let mut slow = bus.subscribe();
        for n in 0..5 {
            bus.publish(terminated(&format!("/app-{n}")));
        }
        assert_eq!(slow.try_recv().unwrap_err(), TryRecvError::Lagged(3));
    }

    #[test]
    fn dropping_every_bus_closes_the_channel() {
        let bus = EventBus::new(2);
        let mut receiver = bus.subscribe();
        let weak = bus.downgrade();
        drop(bus);
        assert_eq!(receiver.try_recv().unwrap_err(), TryRecvError::Closed);
        assert!(weak.upgrade().is_none());
    }
}
