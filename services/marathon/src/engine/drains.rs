//! Drain before kill, the IO part (the rule is the core's, `core/drains.rs`): the runner stores
//! the announcements of a step before its kills go out; one watch stream on the load balancers'
//! members and marathon's drain nodes keeps the core's `DrainBoard` current and wakes the runner
//! on every change (a confirmation, an lb leaving); drain nodes of tasks that are gone are deleted.

use std::sync::Arc;
use std::time::Duration;

use corral_coord_client::{CoordClient, WatchItem, WatchSpec};
use corral_wire::lb::DrainAnnouncement;

use super::Engine;
use crate::core::{change_of, DrainChange};

/// How long to wait before reading or watching again after a failure.
const RETRY: Duration = Duration::from_secs(1);

/// Stores the drain nodes of `drains`, all at once, and tells the core which were written. A task
/// whose announcement could not be stored is not confirmed by anyone: it waits out the drain.
pub(super) async fn announce(engine: &Engine, drains: &[DrainAnnouncement]) {
    let written = futures::future::join_all(drains.iter().map(|drain| async move {
        match engine.store.announce_drain(drain).await {
            Ok(()) => {
                tracing::info!(message = "Announced a task's kill to the load balancers.", task_id = %drain.task_id, app_id = %drain.app_id);
                Some(drain.task_id.clone())
            }
            Err(error) => {
                tracing::warn!(message = "Could not announce a task's kill; it waits out the drain.", task_id = %drain.task_id, %error);
                None
            }
        }
    }))
    .await;
    let written: Vec<String> = written.into_iter().flatten().collect();
    if !written.is_empty() {
        engine.core().drains_announced(&written);
        // With no load balancer registered the drains are confirmed already: kill without delay.
        engine.wake_runner();
    }
}

/// Deletes, in the background, the drain nodes of tasks that are gone.
pub(super) fn remove_stale(engine: &Arc<Engine>) {
    let stale = engine.core().take_stale_drains();
    for task_id in stale {
        let engine = engine.clone();
        tokio::spawn(async move {
            match engine.store.delete_drain(&task_id).await {
                Ok(()) => tracing::debug!(message = "Removed the drain node of a task that is gone.", %task_id),
                Err(error) => {
                    tracing::warn!(message = "Could not remove a drain node; trying again.", %task_id, %error);
                    engine.core().drains_announced(&[task_id]);
                }
            }
        });
    }
}

/// Keeps the core's drain board on what the coordinator holds: reads the members and drains,
/// then follows both directories with one watch stream (from the zxid of the read, so nothing
/// falls in between), and reads again after a reset.
pub(super) async fn follow(engine: Arc<Engine>, client: CoordClient) {
    let paths = engine.store.drain_paths().clone();
    let spec = WatchSpec::prefix(paths.members()).and_prefix(paths.drains());
    loop {
        let reading = match engine.store.read_drains().await {
            Ok(reading) => reading,
            Err(error) => {
                tracing::warn!(message = "Could not read the load balancers and drains.", %error);
                tokio::time::sleep(RETRY).await;
                continue;
            }
        };
        tracing::info!(message = "Load balancers read.", members = ?reading.members, drains = reading.drains.len());
        let mut events = client.watch(spec.clone(), reading.zxid);
        engine.core().load_drains(reading.members, reading.drains);
        engine.wake_runner();
        loop {
            let event = match events.next().await {
                Ok(WatchItem::Event(event)) => event,
                Ok(WatchItem::Reset { zxid }) => {
                    tracing::info!(message = "The drain watch missed events; reading again.", zxid);
                    break;
                }
                Err(error) => {
                    tracing::warn!(message = "Watching the load balancers and drains failed.", %error);
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            let Some(change) = change_of(&paths, &event) else { continue };
            match &change {
                DrainChange::MemberJoined(lb_id) => tracing::info!(message = "A load balancer registered.", %lb_id),
                DrainChange::MemberLeft(lb_id) => tracing::info!(message = "A load balancer left.", %lb_id),
                DrainChange::Confirmed { task_id, lb_id } => {
                    tracing::debug!(message = "A load balancer confirmed a drain.", %task_id, %lb_id)
                }
                _ => {}
            }
            if engine.core().apply_drain_change(change) {
                engine.wake_runner();
            }
        }
    }
}
