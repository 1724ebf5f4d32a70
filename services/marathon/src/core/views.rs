//! The API's JSON made from the core's state: apps with their counts, tasks and deployments,
//! the queue, deployments as `GET /v2/deployments` lists them and as events carry them.

use std::time::Instant;

use corral_wire::marathon::{
    AppDefinition, AppInfo, DeploymentAction, DeploymentActionName, DeploymentPlan, DeploymentRef, DeploymentStep,
    Group, ProcessedOffersSummary, QueueDelay, QueueItem, Timestamp,
};

use super::{Core, RunningDeployment};
use crate::deployment::{deployment_view, DeploymentView};

/// What an app's JSON embeds beside its counts and deployments.
#[derive(Debug, Clone, Copy, Default)]
pub struct Embed {
    pub tasks: bool,
    pub last_task_failure: bool,
}

impl Core {
    pub fn app_info(&self, app: &AppDefinition, embed: Embed) -> AppInfo {
        let (mut staged, mut running, mut healthy, mut unhealthy) = (0, 0, 0, 0);
        for task in self.tasks_of(&app.id) {
            staged += u32::from(task.is_staged());
            running += u32::from(task.is_running());
            match task.alive() {
                Some(true) if task.is_running() => healthy += 1,
                Some(false) => unhealthy += 1,
                _ => {}
            }
        }
        let deployments = self.deployments_of(&app.id).into_iter().map(|id| DeploymentRef { id }).collect();
        AppInfo {
            app: app.clone(),
            tasks_staged: staged,
            tasks_running: running,
            tasks_healthy: healthy,
            tasks_unhealthy: unhealthy,
            deployments,
            tasks: embed.tasks.then(|| self.tasks_of(&app.id).map(|task| task.to_task()).collect()),
            last_task_failure: match embed.last_task_failure {
                true => self.runtimes.get(&app.id).and_then(|runtime| runtime.last_failure.clone()),
                false => None,
            },
        }
    }

    /// `GET /v2/deployments`, oldest first.
    pub fn deployment_views(&self) -> Vec<DeploymentView> {
        let mut deployments: Vec<&RunningDeployment> = self.deployments.values().collect();
        deployments.sort_by_key(|deployment| deployment.version);
        deployments.iter().map(|deployment| deployment_view(&deployment.plan, deployment.step)).collect()
    }

    /// `GET /v2/queue`: apps with launches waiting.
    pub fn queue(&self, now: Instant, wall: Timestamp) -> Vec<QueueItem> {
        self.runtimes
            .iter()
            .filter(|(_, runtime)| runtime.in_flight.queued_launches > 0)
            .filter_map(|(id, runtime)| {
                let app = self.apps.get(id)?;
                let delay = runtime.backoff.queue_delay(now);
                Some(QueueItem {
                    app: app.clone(),
                    count: i32::try_from(runtime.in_flight.queued_launches).unwrap_or(i32::MAX),
                    delay: QueueDelay {
                        time_left_seconds: i64::try_from(delay.time_left_seconds).unwrap_or(i64::MAX),
                        overdue: delay.overdue,
                    },
                    since: runtime.waiting_since.unwrap_or(wall),
                    processed_offers_summary: Some(ProcessedOffersSummary {
                        processed_offers_count: i32::try_from(runtime.offers_processed).unwrap_or(i32::MAX),
                        unused_offers_count: i32::try_from(runtime.offers_unused).unwrap_or(i32::MAX),
                        last_unused_offer_at: runtime.last_unused_offer_at,
                        last_used_offer_at: runtime.last_used_offer_at,
                        reject_summary_last_offers: Vec::new(),
                        reject_summary_launch_attempt: Vec::new(),
                    }),
                })
            })
            .collect()
    }

    /// The root group: every app, in nested groups by path.
    pub fn root_group(&self) -> Group {
        group_of(self.apps.values().cloned().collect(), "/")
    }
}

/// A deployment as events carry it: the affected apps before and after, and the steps.
pub fn event_plan(deployment: &RunningDeployment) -> DeploymentPlan {
    let apps = |apps: &std::collections::BTreeMap<String, Option<AppDefinition>>| {
        let mut group = Group::empty("/");
        group.apps = apps.values().flatten().cloned().collect();
        group
    };
    DeploymentPlan {
        id: deployment.plan.id.clone(),
        original: apps(&deployment.original_apps),
        target: apps(&deployment.target_apps),
        steps: deployment.plan.steps.iter().map(event_step).collect(),
        version: deployment.version,
    }
}

pub fn event_step(step: &crate::deployment::DeploymentStep) -> DeploymentStep {
    DeploymentStep {
        actions: step
            .actions
            .iter()
            .map(|action| {
                let name = match action {
                    crate::deployment::DeploymentAction::StartApplication { .. } => {
                        DeploymentActionName::StartApplication
                    }
                    crate::deployment::DeploymentAction::ScaleApplication { .. } => {
                        DeploymentActionName::ScaleApplication
                    }
                    crate::deployment::DeploymentAction::RestartApplication { .. } => {
                        DeploymentActionName::RestartApplication
                    }
                    crate::deployment::DeploymentAction::StopApplication { .. } => {
                        DeploymentActionName::StopApplication
                    }
                };
                DeploymentAction::on_app(name, &action.app().id)
            })
            .collect(),
    }
}

/// The group `id` holding `apps` (all under it), with a subgroup per next path segment.
pub fn group_of(apps: Vec<AppDefinition>, id: &str) -> Group {
    let prefix = members_prefix(id);
    let mut group = Group::empty(id);
    let mut children: std::collections::BTreeMap<String, Vec<AppDefinition>> = Default::default();
    for app in apps {
        let rest = &app.id[prefix.len().min(app.id.len())..];
        match rest.split_once('/') {
            Some((child, _)) => children.entry(format!("{prefix}{child}")).or_default().push(app),
            None => group.apps.push(app),
        }
    }
    group.groups = children.into_iter().map(|(child, apps)| group_of(apps, &child)).collect();
    group.version =
        group.apps.iter().filter_map(|app| app.version).chain(group.groups.iter().filter_map(|g| g.version)).max();
    group
}

/// What the ids of the apps in group `id` start with.
pub fn members_prefix(id: &str) -> String {
    match id {
        "/" => "/".to_string(),
        _ => format!("{id}/"),
    }
}
