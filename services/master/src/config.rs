//! The master's flags (with `CORRAL_...` environment fallbacks), validated before any port opens.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use corral_coord_client::CoordAddresses;
use corral_kit::{LogFormat, Security, SecurityArgs};

#[derive(Debug, Clone, Parser)]
#[command(
    name = "corral-master",
    version,
    about = "Corral's master: agents, resources, DRF offers and the Mesos v1 scheduler API."
)]
pub struct MasterArgs {
    /// Where the HTTP API listens.
    #[arg(long, env = "CORRAL_LISTEN", default_value = "0.0.0.0:5050")]
    pub listen: SocketAddr,
    /// How agents, frameworks and other masters reach this one (HOST:PORT); default: the listen
    /// address, with the machine's hostname when it listens on every interface.
    #[arg(long, env = "CORRAL_ADVERTISE")]
    pub advertise: Option<String>,
    /// The coordinator ensemble, HOST:PORT,HOST:PORT,...
    #[arg(long, env = "CORRAL_COORDINATOR")]
    pub coordinator: String,
    /// The coordinator directory holding the masters' election and registry.
    #[arg(long, env = "CORRAL_MASTER_ROOT", default_value = "/corral/master")]
    pub root: String,
    /// An agent that has not polled for this long is unreachable: its tasks are reported lost.
    #[arg(long, env = "CORRAL_AGENT_UNREACHABLE_TIMEOUT_MS", default_value_t = 75_000)]
    pub agent_unreachable_timeout_ms: u64,
    /// How often the allocator runs a full cycle (it also runs on events).
    #[arg(long, env = "CORRAL_ALLOCATION_INTERVAL_MS", default_value_t = 1_000)]
    pub allocation_interval_ms: u64,
    /// How often a quiet subscriber stream gets a HEARTBEAT event.
    #[arg(long, env = "CORRAL_HEARTBEAT_INTERVAL_MS", default_value_t = 15_000)]
    pub heartbeat_interval_ms: u64,
    /// The master's coordinator session timeout: a leader cut off for this long loses leadership.
    #[arg(long, env = "CORRAL_SESSION_TIMEOUT_MS", default_value_t = 4_000)]
    pub session_timeout_ms: u64,
    /// Role weights for the allocator: `role=weight,role=weight` (default weight 1).
    #[arg(long, env = "CORRAL_WEIGHTS", default_value = "")]
    pub weights: String,
    #[arg(long, env = "CORRAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// Validated settings.
#[derive(Debug, Clone)]
pub struct MasterConfig {
    pub listen: SocketAddr,
    pub advertise_host: String,
    pub advertise_port: u16,
    pub coordinator: CoordAddresses,
    pub root: String,
    pub agent_unreachable_timeout: Duration,
    pub allocation_interval: Duration,
    pub heartbeat_interval: Duration,
    pub session_timeout: Duration,
    pub role_weights: BTreeMap<String, f64>,
    pub security: Security,
}

impl MasterConfig {
    pub fn from_args(args: &MasterArgs) -> Result<Self, String> {
        let security = args.security.load().map_err(|error| error.to_string())?;
        let coordinator = CoordAddresses::parse_with_scheme(&args.coordinator, security.client.scheme())
            .map_err(|error| format!("--coordinator: {error}"))?;
        let (advertise_host, advertise_port) = corral_kit::advertised_address(args.advertise.as_deref(), args.listen)
            .map_err(|error| format!("--advertise: {error}"))?;
        if !args.root.starts_with('/') || args.root.len() < 2 || args.root.ends_with('/') {
            return Err(format!("--root: `{}` is not an absolute znode path such as /corral/master", args.root));
        }
        let positive = |name: &str, ms: u64| match ms {
            0 => Err(format!("--{name}: must be above 0")),
            ms => Ok(Duration::from_millis(ms)),
        };
        Ok(MasterConfig {
            listen: args.listen,
            advertise_host,
            advertise_port,
            coordinator,
            root: args.root.clone(),
            agent_unreachable_timeout: positive("agent-unreachable-timeout-ms", args.agent_unreachable_timeout_ms)?,
            allocation_interval: positive("allocation-interval-ms", args.allocation_interval_ms)?,
            heartbeat_interval: positive("heartbeat-interval-ms", args.heartbeat_interval_ms)?,
            session_timeout: positive("session-timeout-ms", args.session_timeout_ms)?,
            role_weights: parse_weights(&args.weights).map_err(|error| format!("--weights: {error}"))?,
            security,
        })
    }

    pub fn election_dir(&self) -> String {
        format!("{}/leader", self.root)
    }

    pub fn registry_dir(&self) -> String {
        format!("{}/registry", self.root)
    }
}

fn parse_weights(text: &str) -> Result<BTreeMap<String, f64>, String> {
    text.split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let (role, weight) = part.split_once('=').ok_or_else(|| format!("`{part}` is not role=weight"))?;
            let weight = weight
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|w| w.is_finite() && *w > 0.0)
                .ok_or_else(|| format!("`{weight}` is not a positive weight"))?;
            Ok((role.trim().to_string(), weight))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[&str]) -> Result<MasterConfig, String> {
        let mut argv = vec!["corral-master", "--coordinator", "127.0.0.1:2181", "--listen", "127.0.0.1:5050"];
        argv.extend_from_slice(extra);
        MasterConfig::from_args(&MasterArgs::try_parse_from(argv).unwrap())
    }

    #[test]
    fn bad_values_name_their_flag() {
        assert_eq!(config(&[]).unwrap().advertise_host, "127.0.0.1");
        assert_eq!(config(&["--weights", "web=2, batch=0.5"]).unwrap().role_weights["web"], 2.0);
        for (flag, value) in [
            ("--weights", "web"),
            ("--weights", "web=-1"),
            ("--advertise", "nohost"),
            ("--root", "relative"),
            ("--heartbeat-interval-ms", "0"),
        ] {
            let error = config(&[flag, value]).unwrap_err();
            assert!(error.starts_with(flag), "{error}");
        }
    }
}
