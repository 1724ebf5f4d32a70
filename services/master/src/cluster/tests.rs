//! The cluster's rules, driven directly: offers, accepts, declines, kills, agent loss.

use std::time::{Duration, Instant};

use corral_wire::agent_api::{AgentCommand, AgentTask, RegisterAgent, StatusUpdateMessage};
use corral_wire::mesos::{
    Accept, AgentId, CommandInfo, Decline, Event, EventType, Filters, FrameworkId, FrameworkInfo, LaunchOperation,
    MasterAddress, MasterInfo, Offer, Operation, OperationType, ResourceSet, TaskId, TaskInfo, TaskState, TaskStatus,
};
use tokio::sync::mpsc;

use super::{Cluster, ClusterError, ClusterSettings};
use crate::allocator::AllocatorConfig;
use crate::event_stream;

fn cluster() -> Cluster {
    let info = MasterInfo {
        id: "m".into(),
        ip: 0,
        port: 5050,
        pid: "master@127.0.0.1:5050".into(),
        hostname: "localhost".into(),
        version: "1.11.0".into(),
        address: MasterAddress { hostname: "localhost".into(), ip: "127.0.0.1".into(), port: 5050 },
    };
    let settings = ClusterSettings {
        agent_unreachable_timeout: Duration::from_secs(10),
        heartbeat_interval: Duration::from_secs(15),
        allocator: AllocatorConfig::default(),
    };
    Cluster::new(info, settings)
}

fn register(cluster: &mut Cluster, resources: &str, tasks: Vec<AgentTask>, now: Instant) -> AgentId {
    let id = cluster.next_agent_id();
    let message = RegisterAgent {
        agent_id: None,
        hostname: "host".into(),
        port: 5051,
        resources: ResourceSet::parse(resources).unwrap().to_resources(),
        attributes: vec![],
        tasks,
        version: "test".into(),
    };
    cluster.register_agent(id.clone(), message, "secret", now).unwrap();
    id
}

fn subscribe(cluster: &mut Cluster) -> (FrameworkId, mpsc::Receiver<Event>) {
    let id = cluster.next_framework_id();
    let (sender, receiver) = event_stream::channel(format!("stream-{id}"));
    cluster.subscribe(id.clone(), FrameworkInfo { name: "test".into(), ..FrameworkInfo::default() }, sender);
    (id, receiver)
}

fn events(receiver: &mut mpsc::Receiver<Event>) -> Vec<Event> {
    std::iter::from_fn(|| receiver.try_recv().ok()).collect()
}

fn offers(receiver: &mut mpsc::Receiver<Event>) -> Vec<Offer> {
    events(receiver).into_iter().filter_map(|event| event.offers).flat_map(|offers| offers.offers).collect()
}

fn task(id: &str, agent: &AgentId, resources: &str) -> TaskInfo {
    let resources = ResourceSet::parse(resources).unwrap().to_resources();
    let command = CommandInfo { value: Some("sleep 100".into()), ..CommandInfo::default() };
    TaskInfo::command_task(TaskId::new(id), agent.clone(), resources, command)
}

/// A status of `task_id` as an agent sends it (uuid `u1`).
fn status(task_id: &str, state: TaskState, agent: Option<&AgentId>) -> TaskStatus {
    TaskStatus {
        task_id: TaskId::new(task_id),
        state,
        message: None,
        source: None,
        reason: None,
        agent_id: agent.cloned(),
        executor_id: None,
        timestamp: None,
        uuid: Some("u1".into()),
        healthy: None,
        container_status: None,
    }
}

fn launch(offer: &Offer, tasks: Vec<TaskInfo>) -> Accept {
    Accept {
        offer_ids: vec![offer.id.clone()],
        operations: vec![Operation {
            operation_type: OperationType::Launch,
            launch: Some(LaunchOperation { task_infos: tasks }),
        }],
        filters: Some(Filters { refuse_seconds: Some(0.0) }),
    }
}

#[test]
fn an_accept_that_does_not_fit_changes_nothing() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:1;mem:256;ports:[31000-31001]", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().expect("an offer");
    let refused = [
        (vec![task("a", &agent, "cpus:2;mem:10")], "cpus: 2 wanted, 1 available"),
        (vec![task("a", &agent, "cpus:0.5;mem:10;ports:[31005-31005]")], "[31005-31005]"),
        (vec![task("a", &agent, "cpus:0.6;mem:10"), task("b", &agent, "cpus:0.6;mem:10")], "cpus: 1.2 wanted"),
        (vec![task("a", &agent, "cpus:0.1"), task("a", &agent, "cpus:0.1")], "already in use"),
        (vec![task("a", &AgentId::new("elsewhere"), "cpus:0.1")], "names agent elsewhere"),
    ];
    for (tasks, message) in refused {
        let error = cluster.accept(&framework, launch(&offer, tasks), now).unwrap_err();
        assert!(matches!(&error, ClusterError::Invalid(text) if text.contains(message)), "{error}");
        assert!(cluster.offers.contains_key(&offer.id));
        assert!(cluster.frameworks[&framework].tasks.is_empty());
        assert!(cluster.agents[&agent].commands.is_empty());
    }
    let unknown = Offer { id: corral_wire::mesos::OfferId::new("m-O999"), ..offer.clone() };
    assert!(cluster.accept(&framework, launch(&unknown, vec![task("a", &agent, "cpus:0.1")]), now).is_err());
}

#[test]
fn an_accepted_launch_reaches_the_agent_and_the_rest_is_offered_again() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:1;mem:256", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().unwrap();
    assert_eq!(cluster.accept(&framework, launch(&offer, vec![task("a", &agent, "cpus:0.5;mem:128")]), now), Ok(1));
    let commands = cluster.agents[&agent].commands.pending();
    assert!(matches!(&commands[0].command, AgentCommand::Launch { task, .. } if task.task_id.value == "a"));
    assert!(cluster.accept(&framework, launch(&offer, vec![task("b", &agent, "cpus:0.1")]), now).is_err(), "used once");
    cluster.allocate(None, now);
    let again = offers(&mut stream).pop().expect("the rest is offered again");
    assert_eq!(ResourceSet::from_resources(&again.resources).unwrap(), ResourceSet::parse("cpus:0.5;mem:128").unwrap());
}

#[test]
fn a_decline_filters_the_agent_for_refuse_seconds() {
    let (mut cluster, now) = (cluster(), Instant::now());
    register(&mut cluster, "cpus:1;mem:256", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().unwrap();
    let decline = Decline { offer_ids: vec![offer.id], filters: Some(Filters { refuse_seconds: Some(10.0) }) };
    cluster.decline(&framework, decline, now);
    cluster.allocate(None, now + Duration::from_secs(5));
    assert!(offers(&mut stream).is_empty());
    cluster.allocate(None, now + Duration::from_secs(11));
    assert_eq!(offers(&mut stream).len(), 1);
}

#[test]
fn an_unreachable_agent_loses_its_tasks_and_offers() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:2;mem:256", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().unwrap();
    cluster.accept(&framework, launch(&offer, vec![task("a", &agent, "cpus:1;mem:128")]), now).unwrap();
    cluster.allocate(None, now);
    assert_eq!(offers(&mut stream).len(), 1, "the rest is offered");
    cluster.check_agents(now + Duration::from_secs(11));
    let seen = events(&mut stream);
    let kinds: Vec<EventType> = seen.iter().map(|event| event.event_type).collect();
    assert!(kinds.contains(&EventType::Rescind), "{kinds:?}");
    let lost = seen.iter().filter_map(|event| event.update.as_ref()).find(|update| update.status.task_id.value == "a");
    assert_eq!(lost.unwrap().status.state, TaskState::TaskLost);
    assert!(cluster.offers.is_empty() && cluster.agents.is_empty());
}

#[test]
fn a_re_registering_agent_keeps_reported_tasks_and_loses_the_others() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:2;mem:256", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().unwrap();
    let tasks = vec![task("kept", &agent, "cpus:0.5"), task("gone", &agent, "cpus:0.5")];
    cluster.accept(&framework, launch(&offer, tasks), now).unwrap();
    let running = status("kept", TaskState::TaskRunning, Some(&agent));
    let reported =
        AgentTask { framework_id: framework.clone(), task: task("kept", &agent, "cpus:0.5"), status: running };
    let message = RegisterAgent {
        agent_id: Some(agent.clone()),
        hostname: "host".into(),
        port: 5051,
        resources: ResourceSet::parse("cpus:2;mem:256").unwrap().to_resources(),
        attributes: vec![],
        tasks: vec![reported],
        version: "test".into(),
    };
    cluster.register_agent(agent.clone(), message, "secret", now).unwrap();
    let tasks = &cluster.frameworks[&framework].tasks;
    assert_eq!(tasks.keys().map(|id| id.value.as_str()).collect::<Vec<_>>(), vec!["kept"]);
    assert_eq!(tasks[&TaskId::new("kept")].state, TaskState::TaskRunning);
    let lost: Vec<_> = events(&mut stream).into_iter().filter_map(|event| event.update).collect();
    assert_eq!(lost.len(), 1);
    assert_eq!((lost[0].status.task_id.value.as_str(), lost[0].status.state), ("gone", TaskState::TaskLost));
}

#[test]
fn a_framework_past_its_failover_timeout_is_torn_down_and_its_tasks_shut_down() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:1;mem:256", vec![], now);
    let id = cluster.next_framework_id();
    let (sender, mut stream) = event_stream::channel("s1".into());
    let info = FrameworkInfo { name: "f".into(), failover_timeout: Some(30.0), ..FrameworkInfo::default() };
    cluster.subscribe(id.clone(), info, sender);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().unwrap();
    cluster.accept(&id, launch(&offer, vec![task("a", &agent, "cpus:0.5")]), now).unwrap();
    cluster.stream_closed(&id, "another stream", now);
    assert!(cluster.frameworks[&id].is_connected(), "only its current stream counts");
    cluster.stream_closed(&id, "s1", now);
    assert!(cluster.expired_frameworks(now + Duration::from_secs(29)).is_empty());
    assert_eq!(cluster.expired_frameworks(now + Duration::from_secs(30)), vec![id.clone()]);
    assert!(cluster.teardown(&id));
    let commands = cluster.agents[&agent].commands.pending();
    assert!(
        matches!(&commands.last().unwrap().command, AgentCommand::ShutdownFramework { framework_id } if *framework_id == id)
    );
    assert!(cluster.is_completed_framework(&id));
    assert_eq!(cluster.completed_frameworks[0].completed_tasks[0].state, TaskState::TaskKilled);
}

#[test]
fn explicit_reconciliation_answers_known_and_unknown_tasks() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:1;mem:256", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().unwrap();
    cluster.accept(&framework, launch(&offer, vec![task("known", &agent, "cpus:0.5")]), now).unwrap();
    let wanted = |id: &str| corral_wire::mesos::ReconcileTask { task_id: TaskId::new(id), agent_id: None };
    cluster.reconcile(&framework, corral_wire::mesos::Reconcile { tasks: vec![wanted("known"), wanted("ghost")] });
    let answers: Vec<(String, TaskState)> = events(&mut stream)
        .into_iter()
        .filter_map(|event| event.update)
        .map(|update| (update.status.task_id.value, update.status.state))
        .collect();
    assert_eq!(answers, vec![("known".into(), TaskState::TaskStaging), ("ghost".into(), TaskState::TaskLost)]);
}

#[test]
fn messages_reach_the_named_agent_only_if_it_is_registered() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:1;mem:256", vec![], now);
    let (framework, _stream) = subscribe(&mut cluster);
    let message = |agent_id: AgentId| corral_wire::mesos::Message {
        agent_id,
        executor_id: corral_wire::mesos::ExecutorId::new("e"),
        data: "aGk=".into(),
    };
    cluster.message(&framework, message(agent.clone())).unwrap();
    assert!(matches!(cluster.agents[&agent].commands.pending()[0].command, AgentCommand::FrameworkMessage { .. }));
    assert!(cluster.message(&framework, message(AgentId::new("nowhere"))).is_err());
}

#[test]
fn only_the_agent_itself_can_register_again_poll_or_report_as_it() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let agent = register(&mut cluster, "cpus:2;mem:256", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).pop().unwrap();
    cluster.accept(&framework, launch(&offer, vec![task("a", &agent, "cpus:1")]), now).unwrap();

    for stranger in [None, Some("guess")] {
        assert!(matches!(cluster.agent_secret(&agent, stranger), Err(ClusterError::Forbidden(_))));
        assert!(matches!(cluster.authenticate_agent(&agent, stranger), Err(ClusterError::Forbidden(_))));
    }
    assert_eq!(cluster.agent_secret(&agent, Some("secret")).as_deref(), Ok("secret"));
    assert_eq!(cluster.authenticate_agent(&agent, Some("secret")), Ok(()));
    assert!(cluster.frameworks[&framework].tasks.contains_key(&TaskId::new("a")), "the task is untouched");
    let unknown = AgentId::new("nobody");
    assert!(matches!(cluster.authenticate_agent(&unknown, Some("secret")), Err(ClusterError::UnknownAgent(_))));
    let fresh = cluster.agent_secret(&unknown, None).unwrap();
    assert_eq!(fresh.len(), 64, "an agent the master keeps no secret for gets a new one");
}

#[test]
fn a_status_update_comes_only_from_the_agent_of_its_task() {
    let (mut cluster, now) = (cluster(), Instant::now());
    let owner = register(&mut cluster, "cpus:2;mem:256", vec![], now);
    let other = register(&mut cluster, "cpus:2;mem:256", vec![], now);
    let (framework, mut stream) = subscribe(&mut cluster);
    cluster.allocate(None, now);
    let offer = offers(&mut stream).into_iter().find(|offer| offer.agent_id == owner).unwrap();
    cluster.accept(&framework, launch(&offer, vec![task("a", &owner, "cpus:1")]), now).unwrap();
    let failed = status("a", TaskState::TaskFailed, None);
    let update = StatusUpdateMessage { framework_id: framework.clone(), status: failed };
    let refused = cluster.agent_update(&other, update.clone(), now).unwrap_err();
    assert!(matches!(&refused, ClusterError::Forbidden(text) if text.contains("does not run on agent")), "{refused}");
    assert_eq!(cluster.frameworks[&framework].tasks[&TaskId::new("a")].state, TaskState::TaskStaging);
    cluster.agent_update(&owner, update, now).unwrap();
    assert!(!cluster.frameworks[&framework].tasks.contains_key(&TaskId::new("a")), "its own agent's update counts");
}

#[test]
fn a_framework_fails_over_only_to_the_principal_that_registered_it() {
    let mut cluster = cluster();
    let id = cluster.next_framework_id();
    let (sender, _receiver) = event_stream::channel("stream".into());
    let info =
        FrameworkInfo { name: "marathon".into(), principal: Some("marathon".into()), ..FrameworkInfo::default() };
    cluster.subscribe(id.clone(), info, sender);
    assert_eq!(cluster.check_framework_principal(&id, Some("marathon")), Ok(()));
    for intruder in [Some("mallory"), None] {
        assert!(matches!(cluster.check_framework_principal(&id, intruder), Err(ClusterError::Forbidden(_))));
    }
    assert_eq!(cluster.check_framework_principal(&FrameworkId::new("new"), Some("anyone")), Ok(()));
}
