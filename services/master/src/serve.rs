//! Runs a master: serves HTTP at once (a standby redirects), contends for leadership in the
//! coordinator, and once elected reads the registry and starts the leader's loops. A master that
//! loses its coordinator session stops at once, as Mesos masters do: its process exits, and
//! whoever supervises it starts it again as a standby. One stopped with SIGTERM or Ctrl-C closes
//! its session once its server is down, so a standby leads at once.

use std::net::Ipv4Addr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use corral_coord_client::{hold_office, Candidacy, CoordClient, LeaderDiscovery, SessionLost};
use corral_wire::mesos::{AgentId, MasterAddress, MasterInfo};

use crate::allocator::AllocatorConfig;
use crate::cluster::{Cluster, ClusterSettings};
use crate::config::MasterConfig;
use crate::registry::Registry;
use crate::service::{Leader, MasterService, MESOS_VERSION};
use corral_kit::random_uuid;

/// Why a master stopped.
#[derive(Debug, thiserror::Error)]
pub enum MasterError {
    #[error("{0}")]
    Listen(#[from] std::io::Error),
    #[error("coordinator: {0}")]
    Coordinator(#[from] corral_coord_client::CoordError),
    #[error("{0}: stopping so that no two masters act as leader")]
    SessionLost(#[from] SessionLost),
}

/// The prefix of the election nodes, whose data is the MasterInfo JSON (as Mesos's).
const ELECTION_PREFIX: &str = "json.info_";

/// How long a stopping master waits for its requests to finish. Agents' command polls and
/// frameworks' event streams never finish on their own; the process's exit ends them.
const DRAIN_LIMIT: Duration = Duration::from_secs(1);

pub async fn run(config: MasterConfig) -> Result<(), MasterError> {
    let listener = corral_kit::bind(config.listen).await?;
    let info = master_info(&config);
    let client = CoordClient::with_security(config.coordinator.clone(), &config.security.client);
    let discovered = LeaderDiscovery::follow(&client, &config.election_dir());
    let service = Arc::new(MasterService::new(config.clone(), info.clone(), discovered));
    let router = crate::api::router(service.clone());
    let server = corral_kit::spawn_server(listener, router, config.security.server_tls.clone());
    tracing::info!(message = "Master started.", id = %info.id, address = %info.http_address());

    let candidacy = Candidacy {
        dir: config.election_dir(),
        node_prefix: ELECTION_PREFIX.to_string(),
        data: serde_json::to_string(&info).expect("master info serializes"),
        session_timeout: config.session_timeout,
    };
    let served = hold_office(&client, candidacy, take_office(&service, &client), server.stopped(DRAIN_LIMIT)).await?;
    Ok(served?)
}

/// Becomes the acting leader: reads the registry, then starts the allocation and liveness loops.
async fn take_office(service: &Arc<MasterService>, client: &CoordClient) -> Result<(), MasterError> {
    let config = &service.config;
    let registry = Registry::open(client.clone(), &config.registry_dir()).await?;
    let contents = registry.load().await?;
    let settings = ClusterSettings {
        agent_unreachable_timeout: config.agent_unreachable_timeout,
        heartbeat_interval: config.heartbeat_interval,
        allocator: AllocatorConfig { role_weights: config.role_weights.clone(), ..AllocatorConfig::default() },
    };
    let now = Instant::now();
    let mut cluster = Cluster::new(service.info.clone(), settings);
    for framework in contents.frameworks {
        cluster.recover_framework(framework, now);
    }
    let expected: Vec<(AgentId, Option<String>)> =
        contents.agents.into_iter().map(|agent| (agent.id, agent.secret_sha256)).collect();
    tracing::info!(
        message = "Registry recovered.",
        frameworks = cluster.frameworks.len(),
        agents_expected = expected.len()
    );
    cluster.expect_agents(expected, now + config.agent_unreachable_timeout);
    let leader = Arc::new(Leader::new(cluster, registry));
    service.start_leading(leader.clone());
    tokio::spawn(allocation_loop(leader.clone(), config.allocation_interval));
    tokio::spawn(liveness_loop(leader, config.agent_unreachable_timeout));
    Ok(())
}

/// Allocates every interval, and soon after anything that frees or adds resources.
async fn allocation_loop(leader: Arc<Leader>, interval: Duration) {
    /// Events arriving close together share one allocation.
    const BATCH: Duration = Duration::from_millis(20);
    let signal = leader.cluster().allocation_signal();
    loop {
        tokio::select! {
            _ = signal.notified() => tokio::time::sleep(BATCH).await,
            _ = tokio::time::sleep(interval) => {}
        }
        let started = Instant::now();
        let offers = leader.cluster().allocate(None, started);
        if offers > 0 {
            tracing::debug!(message = "Allocated.", offers, elapsed_ms = started.elapsed().as_millis() as u64);
        }
    }
}

/// Finds unreachable agents and frameworks past their failover timeout, and updates the registry.
async fn liveness_loop(leader: Arc<Leader>, unreachable_timeout: Duration) {
    let period = (unreachable_timeout / 10).clamp(Duration::from_millis(100), Duration::from_secs(1));
    loop {
        tokio::time::sleep(period).await;
        let now = Instant::now();
        let (gone_agents, gone_frameworks) = {
            let mut cluster = leader.cluster();
            let agents = cluster.check_agents(now);
            let frameworks = cluster.expired_frameworks(now);
            for id in &frameworks {
                tracing::info!(message = "Framework failover timeout passed.", framework_id = %id);
                cluster.teardown(id);
            }
            (agents, frameworks)
        };
        for id in gone_agents {
            if let Err(error) = leader.registry.remove_agent(&id).await {
                tracing::warn!(message = "Could not remove an agent from the registry.", agent_id = %id, %error);
            }
        }
        for id in gone_frameworks {
            if let Err(error) = leader.registry.remove_framework(&id).await {
                tracing::warn!(message = "Could not remove a framework from the registry.", framework_id = %id, %error);
            }
        }
    }
}

/// This master's MasterInfo: a new id for each run, and the advertised address.
pub fn master_info(config: &MasterConfig) -> MasterInfo {
    let host = &config.advertise_host;
    let ip = host.parse::<Ipv4Addr>().ok().unwrap_or(Ipv4Addr::LOCALHOST);
    MasterInfo {
        id: random_uuid(),
        // mesos.proto keeps the address in network byte order in a uint32 read as little-endian.
        ip: u32::from_le_bytes(ip.octets()),
        port: config.advertise_port,
        pid: format!("master@{ip}:{}", config.advertise_port),
        hostname: host.clone(),
        version: MESOS_VERSION.to_string(),
        address: MasterAddress { hostname: host.clone(), ip: ip.to_string(), port: config.advertise_port },
    }
}
