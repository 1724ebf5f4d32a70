//! One matching round: the launches waiting in every app's queue (and past their backoff) go into
//! the offers at hand, each task taking its resources from what the ones before left, at most
//! `max_instances_per_offer` per offer (as Marathon's flag: launches spread over agents); every
//! new task is recorded at once as staging, and offers that took nothing are declined.

use std::time::Instant;

use corral_wire::marathon::Timestamp;
use corral_wire::mesos::{AgentId, Offer, OfferId, TaskInfo, TaskState};

use super::app_spec::{config_version, requirements_of};
use super::task_info::task_info;
use super::{Core, Instance};
use crate::scheduling::{AppPlacements, OfferMatcher, TaskRequirements};

/// The tasks to launch with one offer.
#[derive(Debug, Clone)]
pub struct OfferLaunch {
    pub offer_id: OfferId,
    pub agent_id: AgentId,
    pub task_infos: Vec<TaskInfo>,
    pub instances: Vec<Instance>,
}

#[derive(Debug, Default)]
pub struct OfferRound {
    pub launches: Vec<OfferLaunch>,
    pub declined: Vec<OfferId>,
}

struct WaitingApp {
    id: String,
    requirements: TaskRequirements,
    placements: AppPlacements,
    remaining: usize,
}

impl Core {
    pub fn match_offers(
        &mut self,
        offers: &[Offer],
        now: Instant,
        wall: Timestamp,
        new_uuid: &mut dyn FnMut() -> String,
    ) -> OfferRound {
        let mut waiting = self.waiting_apps(now);
        let mut round = OfferRound::default();
        for offer in offers {
            let mut matcher = match OfferMatcher::new(offer) {
                Ok(matcher) => matcher,
                Err(error) => {
                    tracing::warn!(message = "Declining an offer with unreadable resources.", offer_id = %offer.id.value, %error);
                    round.declined.push(offer.id.clone());
                    continue;
                }
            };
            let mut launch = OfferLaunch {
                offer_id: offer.id.clone(),
                agent_id: offer.agent_id.clone(),
                task_infos: Vec::new(),
                instances: Vec::new(),
            };
            let mut budget = self.settings.max_instances_per_offer as usize;
            for app in waiting.iter_mut().filter(|app| app.remaining > 0) {
                if budget == 0 {
                    break;
                }
                let (placed, _) =
                    matcher.place_up_to(&app.requirements, &mut app.placements, app.remaining.min(budget));
                budget -= placed.len();
                let definition = &self.apps[&app.id];
                let runtime = self.runtimes.get_mut(&app.id).expect("a waiting app has a runtime");
                runtime.offers_processed += 1;
                if placed.is_empty() {
                    runtime.offers_unused += 1;
                    runtime.last_unused_offer_at = Some(wall);
                    continue;
                }
                runtime.last_used_offer_at = Some(wall);
                app.remaining -= placed.len();
                for resources in placed {
                    let task_id = Instance::new_task_id(&app.id, &new_uuid());
                    launch.task_infos.push(task_info(definition, &task_id, &offer.agent_id.value, &resources));
                    launch.instances.push(Instance {
                        task_id,
                        app_id: app.id.clone(),
                        version: definition.version.unwrap_or(wall),
                        config_version: config_version(definition),
                        agent_id: offer.agent_id.value.clone(),
                        host: offer.hostname.clone(),
                        attributes: offer.attributes.clone(),
                        ports: resources.ports(),
                        service_ports: super::requested_service_ports(definition),
                        staged_at: wall,
                        started_at: None,
                        state: TaskState::TaskStaging,
                        kill_sent_at: None,
                        health: None,
                    });
                }
            }
            if launch.instances.is_empty() {
                round.declined.push(offer.id.clone());
                continue;
            }
            for instance in &launch.instances {
                let runtime = self.runtimes.get_mut(&instance.app_id).expect("a waiting app has a runtime");
                runtime.in_flight.queued_launches = runtime.in_flight.queued_launches.saturating_sub(1);
                if runtime.in_flight.queued_launches == 0 {
                    runtime.waiting_since = None;
                }
                self.insert_task(instance.clone());
            }
            round.launches.push(launch);
        }
        round
    }

    /// Apps with launches queued and no backoff delay in force, in id order.
    fn waiting_apps(&self, now: Instant) -> Vec<WaitingApp> {
        self.runtimes
            .iter()
            .filter(|(id, runtime)| {
                runtime.in_flight.queued_launches > 0
                    && runtime.backoff.delay_until(now).is_none()
                    && self.apps.contains_key(*id)
            })
            .map(|(id, runtime)| {
                let app = &self.apps[id];
                let requirements = requirements_of(app);
                let config = config_version(app);
                let placed = self.tasks_of(id).filter(|task| task.config_version == config).map(Instance::placement);
                let placed: Vec<_> = placed.collect();
                WaitingApp {
                    id: id.clone(),
                    placements: AppPlacements::new(&requirements.constraints, placed.iter()),
                    requirements,
                    remaining: runtime.in_flight.queued_launches as usize,
                }
            })
            .collect()
    }

    /// Launches whose record could not be stored: forgotten, so that the runner queues them again.
    pub fn forget_launches(&mut self, task_ids: &[String]) {
        for id in task_ids {
            self.remove_task(id);
        }
    }

    /// The earliest time a delayed launch may go, if some app waits only for its backoff.
    pub fn next_backoff_deadline(&self, now: Instant) -> Option<Instant> {
        self.runtimes
            .values()
            .filter(|runtime| runtime.in_flight.queued_launches > 0)
            .filter_map(|runtime| runtime.backoff.delay_until(now))
            .min()
    }
}
