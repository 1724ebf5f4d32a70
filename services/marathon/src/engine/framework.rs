//! Marathon as a framework on the master: subscribes (with its stored framework id, so its tasks
//! stay its own), reconciles every known task after each subscription (asking again for the
//! ones not heard of, `reconciliation.rs`), turns offers into
//! launches (each task recorded in the store before the ACCEPT that launches it), feeds status
//! updates to the core and acknowledges them, and keeps offers flowing only while launches wait
//! (SUPPRESS / REVIVE).

use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_coord_client::CoordClient;
use corral_scheduler_client::{Caller, Masters, Subscription};
use corral_wire::mesos::{
    Accept, Acknowledge, AgentId, Call, CallType, Capability, Decline, EventType, Filters, FrameworkId, FrameworkInfo,
    LaunchOperation, Offer, Operation, OperationType, Reconcile, ReconcileTask, StatusReason, StatusSource, TaskId,
    TaskState, TaskStatus,
};
use futures::StreamExt;

use super::reconciliation::Unheard;
use super::Engine;
use crate::clock;
use crate::core::OfferLaunch;

/// How often offers are revived while launches keep waiting.
const REVIVE_EVERY: Duration = Duration::from_secs(5);

/// Offers whose tasks are being recorded and accepted at the same time.
const LAUNCHES_IN_FLIGHT: usize = 64;

/// How long an offer declined while launches wait stays away.
const WAITING_REFUSAL: Duration = Duration::from_secs(1);

/// How long to wait before subscribing again after a failure.
const RESUBSCRIBE_DELAY: Duration = Duration::from_secs(1);

pub(super) async fn run(engine: Arc<Engine>, client: CoordClient) {
    let security = &engine.config.security.client;
    let http = security.http_client();
    let mut masters = Masters::discover(&client, &engine.config.master_election_dir(), security.scheme());
    loop {
        let info = framework_info(&engine);
        let mut subscription = match Subscription::subscribe(&http, &mut masters, info).await {
            Ok(subscription) => subscription,
            Err(error) => {
                tracing::warn!(message = "Could not subscribe to the master.", %error);
                tokio::time::sleep(RESUBSCRIBE_DELAY).await;
                continue;
            }
        };
        let id = subscription.framework_id.value.clone();
        tracing::info!(message = "Subscribed to the master.", framework_id = %id, master = %subscription.master());
        if engine.framework_id().as_deref() != Some(id.as_str()) {
            if let Err(error) = engine.store.save_framework_id(&subscription.framework_id).await {
                tracing::warn!(message = "Could not store the framework id.", %error);
            }
            *engine.framework_id.lock().expect("not poisoned") = Some(id);
        }
        *engine.caller.lock().expect("not poisoned") = Some(subscription.caller());
        let asked = after_subscribing(&engine);
        follow(&engine, &mut subscription, asked).await;
        *engine.caller.lock().expect("not poisoned") = None;
        tracing::warn!(message = "The subscription ended; subscribing again.");
        tokio::time::sleep(RESUBSCRIBE_DELAY).await;
    }
}

fn framework_info(engine: &Engine) -> FrameworkInfo {
    let config = &engine.config;
    FrameworkInfo {
        user: "root".to_string(),
        name: config.framework_name.clone(),
        id: engine.framework_id().map(FrameworkId::new),
        failover_timeout: Some(config.failover_timeout.as_secs_f64()),
        checkpoint: Some(true),
        role: Some(config.mesos_role.clone()),
        roles: Vec::new(),
        hostname: Some(config.advertise_host.clone()),
        principal: None,
        webui_url: Some(config.own_url()),
        // Agents then report TASK_KILLING when a kill's grace period starts, as Marathon asks.
        capabilities: vec![Capability::new(Capability::TASK_KILLING_STATE)],
    }
}

/// Reconciles every known task (explicitly, then implicitly so that unknown ones are reported
/// and killed), and kills again what was being killed.
fn after_subscribing(engine: &Engine) -> Vec<(String, String)> {
    let (known, killing) = {
        let core = engine.core();
        let killing: Vec<(String, String)> = core
            .all_tasks()
            .filter(|task| task.kill_requested())
            .map(|task| (task.task_id.clone(), task.agent_id.clone()))
            .collect();
        (core.reconciliation_list(), killing)
    };
    reconcile(engine, &known);
    let mut implicit = Call::new(CallType::Reconcile, None);
    implicit.reconcile = Some(Reconcile::default());
    engine.send(implicit);
    for (task, agent) in killing {
        engine.kill(&task, &agent);
    }
    known
}

/// An explicit RECONCILE of `tasks` (task id, agent id; `""` for no agent).
fn reconcile(engine: &Engine, tasks: &[(String, String)]) {
    let mut explicit = Call::new(CallType::Reconcile, None);
    explicit.reconcile = Some(Reconcile {
        tasks: tasks
            .iter()
            .map(|(task, agent)| ReconcileTask {
                task_id: TaskId::new(task.clone()),
                agent_id: (!agent.is_empty()).then(|| AgentId::new(agent.clone())),
            })
            .collect(),
    });
    engine.send(explicit);
}

/// Whether the master sends marathon offers: suppressed while no launch waits, revived when one
/// does, and revived again every `REVIVE_EVERY` while launches keep waiting (a REVIVE also lifts
/// the filters of declined offers). The calls are awaited one at a time, so the master sees them
/// in the order marathon decided them.
struct OfferFlow {
    suppressed: bool,
    last_revive: Option<Instant>,
}

impl OfferFlow {
    async fn update(&mut self, engine: &Engine, subscription: &Subscription) {
        let wanted = engine.core().wants_offers();
        let revive_due = self.last_revive.is_none_or(|at| at.elapsed() >= REVIVE_EVERY);
        let call_type = match (wanted, self.suppressed) {
            (true, true) => CallType::Revive,
            (true, false) if revive_due => CallType::Revive,
            (false, false) => CallType::Suppress,
            _ => return,
        };
        if let Err(error) = subscription.call(Call::new(call_type, None)).await {
            tracing::warn!(message = "A scheduler call failed.", call = ?call_type, %error);
            return;
        }
        self.suppressed = call_type == CallType::Suppress;
        if call_type == CallType::Revive {
            self.last_revive = Some(Instant::now());
        }
    }
}

/// Handles the subscription's events until its stream ends.
async fn follow(engine: &Arc<Engine>, subscription: &mut Subscription, asked: Vec<(String, String)>) {
    // Not yet known to the master either way: the first update decides.
    let mut flow = OfferFlow { suppressed: false, last_revive: None };
    flow.update(engine, subscription).await;
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut last_reconciliation = Instant::now();
    let mut unheard = Unheard::new(asked, Instant::now());
    loop {
        let event = tokio::select! {
            event = subscription.next_event() => match event {
                Some(event) => event,
                None => return,
            },
            _ = engine.offers_wanted.notified() => {
                flow.update(engine, subscription).await;
                continue;
            }
            _ = tick.tick() => {
                flow.update(engine, subscription).await;
                if last_reconciliation.elapsed() >= engine.config.reconciliation_interval {
                    last_reconciliation = Instant::now();
                    unheard = Unheard::new(after_subscribing(engine), Instant::now());
                } else if let Some(tasks) = unheard.due(Instant::now()) {
                    reconcile(engine, &tasks);
                }
                continue;
            }
        };
        match event.event_type {
            EventType::Offers => {
                let offers = event.offers.map(|offers| offers.offers).unwrap_or_default();
                launch(engine, &offers).await;
                flow.update(engine, subscription).await;
            }
            EventType::Update => {
                if let Some(update) = event.update {
                    unheard.heard(&update.status.task_id.value);
                    status_update(engine, update.status);
                }
            }
            EventType::Error => {
                let message = event.error.map(|error| error.message).unwrap_or_default();
                tracing::error!(message = "The master sent an error.", error = %message);
            }
            EventType::Failure => tracing::info!(message = "The master reported a failure.", failure = ?event.failure),
            _ => {}
        }
    }
}

/// One round of offers: matched by the core, recorded in the store, then accepted; the rest
/// declined for a while.
async fn launch(engine: &Arc<Engine>, offers: &[Offer]) {
    let now = Instant::now();
    let (round, refuse) = {
        let mut core = engine.core();
        let round = core.match_offers(offers, now, clock::now(), &mut corral_kit::random_uuid);
        // While launches wait (for a backoff to pass, or for room), declined offers come back
        // soon; otherwise they stay away for `--decline-offer-seconds`.
        let refuse = match core.wants_offers() {
            true => core.next_backoff_deadline(now).map_or(WAITING_REFUSAL, |deadline| deadline - now),
            false => engine.config.decline_offer,
        };
        (round, refuse.min(engine.config.decline_offer))
    };
    tracing::debug!(
        message = "Offers matched.",
        offers = offers.len(),
        used = round.launches.len(),
        tasks = round.launches.iter().map(|launch| launch.instances.len()).sum::<usize>(),
        refuse_seconds = refuse.as_secs_f64()
    );
    if !round.declined.is_empty() {
        let mut call = Call::new(CallType::Decline, None);
        call.decline = Some(Decline {
            offer_ids: round.declined,
            filters: Some(Filters { refuse_seconds: Some(refuse.as_secs_f64()) }),
        });
        engine.send(call);
    }
    if round.launches.is_empty() {
        return;
    }
    let Some(caller) = engine.caller() else { return };
    let engine = engine.clone();
    tokio::spawn(async move {
        let launches = futures::stream::iter(round.launches);
        launches.for_each_concurrent(LAUNCHES_IN_FLIGHT, |launch| accept(&engine, &caller, launch)).await;
    });
}

/// Records one offer's tasks in the store, then launches them with an ACCEPT. Tasks that cannot
/// be recorded are forgotten (the runner queues them again) and the offer declined; tasks whose
/// ACCEPT the master refuses (the offer went away) are dropped, and so replaced.
async fn accept(engine: &Arc<Engine>, caller: &Caller, launch: OfferLaunch) {
    let records: Vec<(&str, &crate::core::Instance)> =
        launch.instances.iter().map(|instance| (instance.task_id.as_str(), instance)).collect();
    if let Err(error) = engine.store.save_tasks(&records).await {
        tracing::warn!(message = "Could not record tasks before launching them; they wait for other offers.", %error);
        let ids: Vec<String> = records.iter().map(|(id, _)| id.to_string()).collect();
        engine.core().forget_launches(&ids);
        let mut call = Call::new(CallType::Decline, None);
        call.decline = Some(Decline { offer_ids: vec![launch.offer_id], filters: None });
        engine.send(call);
        engine.wake_runner();
        return;
    }
    let task_ids: Vec<TaskId> = launch.task_infos.iter().map(|info| info.task_id.clone()).collect();
    let mut call = Call::new(CallType::Accept, None);
    call.accept = Some(Accept {
        offer_ids: vec![launch.offer_id],
        operations: vec![Operation {
            operation_type: OperationType::Launch,
            launch: Some(LaunchOperation { task_infos: launch.task_infos }),
        }],
        filters: Some(Filters { refuse_seconds: Some(0.0) }),
    });
    if let Err(error) = caller.call(call).await {
        tracing::warn!(message = "An ACCEPT was refused; its tasks are dropped.", %error);
        for task_id in task_ids {
            status_update(engine, dropped(task_id, &error.to_string()));
        }
    }
}

/// The status of a task whose launch the master refused.
fn dropped(task_id: TaskId, message: &str) -> TaskStatus {
    TaskStatus {
        task_id,
        state: TaskState::TaskDropped,
        message: Some(message.to_string()),
        source: Some(StatusSource::SourceMaster),
        reason: Some(StatusReason::ReasonInvalidOffers),
        agent_id: None,
        executor_id: None,
        timestamp: None,
        uuid: None,
        healthy: None,
        container_status: None,
    }
}

fn status_update(engine: &Engine, status: TaskStatus) {
    let outcome = engine.core().apply_status(&status, Instant::now(), clock::now());
    for event in outcome.events {
        engine.publish(event);
    }
    if let Some((task, agent)) = outcome.kill_unknown {
        tracing::info!(message = "Killing a task marathon has no record of.", task_id = %task);
        engine.kill(&task, &agent);
    }
    if let Some(ended) = outcome.ended {
        let store = engine.store.clone();
        tokio::spawn(async move {
            if let Err(error) = store.delete_task(&ended.task_id).await {
                tracing::warn!(message = "Could not delete the record of an ended task.", task_id = %ended.task_id, %error);
            }
        });
    }
    if let (Some(uuid), Some(agent_id)) = (status.uuid, status.agent_id) {
        let mut call = Call::new(CallType::Acknowledge, None);
        call.acknowledge = Some(Acknowledge { agent_id, task_id: status.task_id, uuid });
        engine.send(call);
    }
    engine.wake_runner();
}
