//! Marathon's flags (with `CORRAL_...` environment fallbacks), validated before any port opens.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use corral_coord_client::CoordAddresses;
use corral_kit::{LogFormat, Security, SecurityArgs};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "corral-marathon",
    version,
    about = "Corral's Marathon: the v2 REST API, deployments, health and events, as a framework on the master."
)]
pub struct MarathonArgs {
    /// Where the HTTP API listens.
    #[arg(long, env = "CORRAL_LISTEN", default_value = "0.0.0.0:8080")]
    pub listen: SocketAddr,
    /// How clients and the other marathon instances reach this one (HOST:PORT); default: the
    /// listen address, with the machine's hostname when it listens on every interface.
    #[arg(long, env = "CORRAL_ADVERTISE")]
    pub advertise: Option<String>,
    /// The coordinator ensemble, HOST:PORT,HOST:PORT,...
    #[arg(long, env = "CORRAL_COORDINATOR")]
    pub coordinator: String,
    /// The coordinator directory holding marathon's election and state.
    #[arg(long, env = "CORRAL_MARATHON_ROOT", default_value = "/corral/marathon")]
    pub root: String,
    /// The coordinator directory where the masters elect their leader.
    #[arg(long, env = "CORRAL_MASTER_ROOT", default_value = "/corral/master")]
    pub master_root: String,
    /// The framework name registered on the master.
    #[arg(long, env = "CORRAL_FRAMEWORK_NAME", default_value = "marathon")]
    pub framework_name: String,
    /// The role marathon's framework subscribes with.
    #[arg(long, env = "CORRAL_MESOS_ROLE", default_value = "*")]
    pub mesos_role: String,
    /// How long the master keeps marathon's tasks while no marathon is subscribed.
    #[arg(long, env = "CORRAL_FAILOVER_TIMEOUT_SECONDS", default_value_t = 604_800)]
    pub failover_timeout_seconds: u64,
    /// Marathon's coordinator session timeout: a leader cut off for this long loses leadership.
    #[arg(long, env = "CORRAL_SESSION_TIMEOUT_MS", default_value_t = 3_000)]
    pub session_timeout_ms: u64,
    /// How long an offer marathon has no use for is filtered out (DECLINE's refuse_seconds).
    #[arg(long, env = "CORRAL_DECLINE_OFFER_SECONDS", default_value_t = 5)]
    pub decline_offer_seconds: u64,
    /// At most this many tasks go into one offer, so that launches spread over agents.
    #[arg(long, env = "CORRAL_MAX_INSTANCES_PER_OFFER", default_value_t = 5)]
    pub max_instances_per_offer: u32,
    /// A task still staging this long after its launch is killed, and so replaced.
    #[arg(long, env = "CORRAL_TASK_LAUNCH_TIMEOUT_MS", default_value_t = 300_000)]
    pub task_launch_timeout_ms: u64,
    /// How long a task announced to the load balancers stays alive before it is killed if they
    /// do not all confirm its drain sooner (with no load balancer registered there is no wait).
    #[arg(long, env = "CORRAL_DRAIN_WAIT_MS", default_value_t = 5_000)]
    pub drain_wait_ms: u64,
    /// The coordinator directory where the load balancers register (`<lb-root>/members/<id>`).
    #[arg(long, env = "CORRAL_LB_ROOT", default_value = corral_wire::lb::DEFAULT_LB_ROOT)]
    pub lb_root: String,
    /// How often marathon reconciles all its tasks with the master.
    #[arg(long, env = "CORRAL_RECONCILIATION_INTERVAL_MS", default_value_t = 600_000)]
    pub reconciliation_interval_ms: u64,
    /// How often a quiet `/v2/events` stream gets a heartbeat.
    #[arg(long, env = "CORRAL_EVENT_STREAM_HEARTBEAT_MS", default_value_t = 15_000)]
    pub event_stream_heartbeat_ms: u64,
    #[arg(long, env = "CORRAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct MarathonConfig {
    pub listen: SocketAddr,
    pub advertise_host: String,
    pub advertise_port: u16,
    pub coordinator: CoordAddresses,
    pub coordinator_text: String,
    pub root: String,
    pub master_root: String,
    pub lb_root: String,
    pub framework_name: String,
    pub mesos_role: String,
    pub failover_timeout: Duration,
    pub session_timeout: Duration,
    pub decline_offer: Duration,
    pub max_instances_per_offer: u32,
    pub task_launch_timeout: Duration,
    pub drain_wait: Duration,
    pub reconciliation_interval: Duration,
    pub event_stream_heartbeat: Duration,
    pub security: Security,
}

impl MarathonConfig {
    pub fn from_args(args: &MarathonArgs) -> Result<Self, String> {
        let security = args.security.load().map_err(|error| error.to_string())?;
        let coordinator = CoordAddresses::parse_with_scheme(&args.coordinator, security.client.scheme())
            .map_err(|error| format!("--coordinator: {error}"))?;
        let (advertise_host, advertise_port) = corral_kit::advertised_address(args.advertise.as_deref(), args.listen)
            .map_err(|error| format!("--advertise: {error}"))?;
        let roots = [("--root", &args.root), ("--master-root", &args.master_root), ("--lb-root", &args.lb_root)];
        for (flag, root) in roots {
            if !root.starts_with('/') || root.len() < 2 || root.ends_with('/') {
                return Err(format!("{flag}: `{root}` is not an absolute znode path such as /corral/marathon"));
            }
        }
        if args.framework_name.trim().is_empty() {
            return Err("--framework-name: must not be empty".to_string());
        }
        let positive = |name: &str, ms: u64| match ms {
            0 => Err(format!("--{name}: must be above 0")),
            ms => Ok(Duration::from_millis(ms)),
        };
        Ok(MarathonConfig {
            listen: args.listen,
            advertise_host,
            advertise_port,
            coordinator,
            coordinator_text: args.coordinator.clone(),
            root: args.root.clone(),
            master_root: args.master_root.clone(),
            lb_root: args.lb_root.clone(),
            framework_name: args.framework_name.clone(),
            mesos_role: args.mesos_role.clone(),
            failover_timeout: Duration::from_secs(args.failover_timeout_seconds),
            session_timeout: positive("session-timeout-ms", args.session_timeout_ms)?,
            decline_offer: Duration::from_secs(args.decline_offer_seconds),
            max_instances_per_offer: match args.max_instances_per_offer {
                0 => return Err("--max-instances-per-offer: must be above 0".to_string()),
                n => n,
            },
            task_launch_timeout: positive("task-launch-timeout-ms", args.task_launch_timeout_ms)?,
            drain_wait: Duration::from_millis(args.drain_wait_ms),
            reconciliation_interval: positive("reconciliation-interval-ms", args.reconciliation_interval_ms)?,
            event_stream_heartbeat: positive("event-stream-heartbeat-ms", args.event_stream_heartbeat_ms)?,
            security,
        })
    }

    /// `host:port`, as `/v2/leader` and `X-Marathon-Leader` name an instance.
    pub fn advertised(&self) -> String {
        format!("{}:{}", self.advertise_host, self.advertise_port)
    }

    /// This instance's base URL: `http://host:port`, or `https://` when it serves TLS.
    pub fn own_url(&self) -> String {
        format!("{}://{}", self.security.own_scheme(), self.advertised())
    }

    pub fn election_dir(&self) -> String {
        format!("{}/leader", self.root)
    }

    pub fn master_election_dir(&self) -> String {
        format!("{}/leader", self.master_root)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[&str]) -> Result<MarathonConfig, String> {
        let mut argv = vec!["corral-marathon", "--coordinator", "127.0.0.1:2181", "--listen", "127.0.0.1:8080"];
        argv.extend_from_slice(extra);
        MarathonConfig::from_args(&MarathonArgs::try_parse_from(argv).unwrap())
    }

    #[test]
    fn bad_values_name_their_flag() {
        let defaults = config(&[]).unwrap();
        assert_eq!(defaults.advertised(), "127.0.0.1:8080");
        assert_eq!((defaults.drain_wait, defaults.lb_root.as_str()), (Duration::from_secs(5), "/corral/lb"));
        for (flag, value) in [
            ("--advertise", "nohost"),
            ("--root", "relative"),
            ("--master-root", "/trailing/"),
            ("--lb-root", "lb"),
            ("--framework-name", " "),
            ("--session-timeout-ms", "0"),
        ] {
            let error = config(&[flag, value]).unwrap_err();
            assert!(error.starts_with(flag), "{error}");
        }
    }
}
