//! corral-lb's command line: `render` (print a config and exit) and `run` (keep HAProxy live),
//! with the render flags both share. Every flag has a `CORRAL_LB_*` environment fallback, and
//! everything is checked before a port is bound or HAProxy started.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use corral_coord_client::CoordAddresses;
use corral_kit::{LogFormat, Security, SecurityArgs};

use crate::haproxy_config::{RenderOptions, TlsSource};
use crate::services::GroupFilter;

#[derive(Debug, Parser)]
#[command(name = "corral-lb", version, about = "Corral's load balancer: HAProxy configs from marathon-lb's labels.")]
pub struct LbArgs {
    #[command(subcommand)]
    pub command: LbCommand,
    #[arg(long, global = true, env = "CORRAL_LOG_FORMAT", value_enum, default_value_t = LogFormat::Plain)]
    pub log_format: LogFormat,
}

#[derive(Debug, Subcommand)]
pub enum LbCommand {
    /// Print the haproxy.cfg for marathon's apps (or a saved `GET /v2/apps?embed=apps.tasks`) and exit.
    Render(RenderArgs),
    /// Keep Debian's HAProxy serving marathon's apps: follow events, update servers at runtime,
    /// reload (never refusing a connection) when the config's shape changes.
    Run(RunArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Marathon instances, `http://HOST:PORT,...` (any of them: non-leaders forward).
    #[arg(long, env = "CORRAL_LB_MARATHON", conflicts_with = "apps", required_unless_present = "apps")]
    pub marathon: Option<String>,
    /// A saved `GET /v2/apps?embed=apps.tasks` answer to render instead.
    #[arg(long, env = "CORRAL_LB_APPS")]
    pub apps: Option<PathBuf>,
    #[command(flatten)]
    pub render: RenderFlags,
    #[command(flatten)]
    pub security: SecurityArgs,
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// Marathon instances, `http://HOST:PORT,...`: the lb moves on when one fails or hangs.
    #[arg(long, env = "CORRAL_LB_MARATHON")]
    pub marathon: String,
    /// Where the lb keeps haproxy.cfg, its sockets, the crt-list and the generated certificate.
    #[arg(long, env = "CORRAL_LB_WORK_DIR")]
    pub work_dir: PathBuf,
    /// The HAProxy binary.
    #[arg(long, env = "CORRAL_LB_HAPROXY", default_value = "haproxy")]
    pub haproxy: PathBuf,
    /// The lb's own API (/health, /metrics, /haproxy.cfg, /v1/status, /v1/routes) and its page.
    #[arg(long, env = "CORRAL_LB_LISTEN", default_value = "0.0.0.0:9095")]
    pub listen: SocketAddr,
    /// How marathon reaches this lb's API (HOST:PORT); default: the listen address.
    #[arg(long, env = "CORRAL_LB_ADVERTISE")]
    pub advertise: Option<String>,
    /// The coordinator ensemble, HOST:PORT,...: the lb registers there and confirms the drains
    /// marathon announces before killing tasks. Without it the lb does not take part in drains.
    #[arg(long, env = "CORRAL_COORDINATOR")]
    pub coordinator: Option<String>,
    /// Where marathon keeps its state (its drain announcements are under `<root>/drains`).
    #[arg(long, env = "CORRAL_MARATHON_ROOT", default_value = "/corral/marathon")]
    pub marathon_root: String,
    /// Where the lbs register (`<lb-root>/members/<id>`).
    #[arg(long, env = "CORRAL_LB_ROOT", default_value = corral_wire::lb::DEFAULT_LB_ROOT)]
    pub lb_root: String,
    /// The lb's coordinator session timeout.
    #[arg(long, env = "CORRAL_LB_SESSION_TIMEOUT_MS", default_value_t = 4_000)]
    pub session_timeout_ms: u64,
    /// A full re-read of marathon's apps at least this often, besides the events.
    #[arg(long, env = "CORRAL_LB_RESYNC_MS", default_value_t = 300_000)]
    pub resync_ms: u64,
    /// How long HAProxy workers of an older config may finish their connections after a reload.
    #[arg(long, env = "CORRAL_LB_HARD_STOP_AFTER_MS", default_value_t = 15_000)]
    pub hard_stop_after_ms: u64,
    #[command(flatten)]
    pub render: RenderFlags,
    #[command(flatten)]
    pub security: SecurityArgs,
}

/// The flags both subcommands render with.
#[derive(Debug, Args)]
pub struct RenderFlags {
    /// The lb group whose apps are exposed (`HAPROXY_GROUP`); `*` takes every app.
    #[arg(long, env = "CORRAL_LB_GROUP", default_value = "external")]
    pub group: String,
    /// Certificates for the HTTPS frontend: each `*.pem` holds a chain and its key; SNI picks by
    /// the names in them. `run` generates a default one when this is left out.
    #[arg(long, env = "CORRAL_LB_CERTS_DIR")]
    pub certs_dir: Option<PathBuf>,
    /// Where the HTTP, HTTPS and service port frontends listen; default: every address.
    #[arg(long, env = "CORRAL_LB_BIND_ADDR")]
    pub bind_addr: Option<IpAddr>,
    #[arg(long, env = "CORRAL_LB_HTTP_PORT", default_value_t = 80)]
    pub http_port: u16,
    #[arg(long, env = "CORRAL_LB_HTTPS_PORT", default_value_t = 443)]
    pub https_port: u16,
    /// HAProxy's stats page, `/_haproxy_health_check` and Prometheus `/metrics`.
    #[arg(long, env = "CORRAL_LB_STATS_PORT", default_value_t = 9090)]
    pub stats_port: u16,
}

/// HAProxy's connection cap: two descriptors a connection must fit the machine's limit (20,000).
const MAXCONN: u32 = 5_000;

impl RenderFlags {
    /// The group and the render options, with `tls` as the HTTPS frontend's certificates.
    pub fn options(
        &self,
        tls: Option<TlsSource>,
        admin_socket: Option<PathBuf>,
        hard_stop_after: Duration,
    ) -> Result<(GroupFilter, RenderOptions), String> {
        if self.group.trim().is_empty() {
            return Err("--group: must not be empty (use * for every app)".to_string());
        }
        let ports =
            [("--http-port", self.http_port), ("--https-port", self.https_port), ("--stats-port", self.stats_port)];
        for (flag, port) in ports {
            if port == 0 {
                return Err(format!("{flag}: must be above 0"));
            }
            if ports.iter().filter(|(_, other)| *other == port).count() > 1 {
                return Err(format!("{flag}: {port} is also given to another frontend"));
            }
        }
        if let Some(dir) = &self.certs_dir {
            if !dir.is_dir() {
                return Err(format!("--certs-dir: {} is not a directory", dir.display()));
            }
        }
        let options = RenderOptions {
            bind_addr: self.bind_addr.filter(|ip| !ip.is_unspecified()),
            http_port: self.http_port,
            https_port: self.https_port,
            stats_port: self.stats_port,
            tls,
            admin_socket,
            hard_stop_after,
            maxconn: MAXCONN,
        };
        Ok((GroupFilter::parse(&self.group), options))
    }

    pub fn reserved_ports(&self) -> Vec<u16> {
        vec![self.http_port, self.https_port, self.stats_port]
    }
}

/// Marathon URLs from a comma list, each `http(s)://host:port` without a trailing slash.
pub fn marathon_urls(list: &str) -> Result<Vec<String>, String> {
    let urls: Vec<String> =
        list.split(',').map(|url| url.trim().trim_end_matches('/').to_string()).filter(|url| !url.is_empty()).collect();
    if urls.is_empty() {
        return Err("--marathon: give at least one URL".to_string());
    }
    for url in &urls {
        match reqwest::Url::parse(url) {
            Ok(parsed) if ["http", "https"].contains(&parsed.scheme()) && parsed.host().is_some() => {}
            _ => return Err(format!("--marathon: `{url}` is not an http:// or https:// URL")),
        }
    }
    Ok(urls)
}

/// Settings of `corral-lb run`, checked.
#[derive(Debug, Clone)]
pub struct RunConfig {
    pub marathon: Vec<String>,
    pub work_dir: PathBuf,
    pub haproxy: PathBuf,
    pub listen: SocketAddr,
    pub advertise: String,
    pub coordinator: Option<CoordAddresses>,
    pub marathon_root: String,
    pub lb_root: String,
    pub session_timeout: Duration,
    pub resync: Duration,
    pub group: GroupFilter,
    pub certs_dir: Option<PathBuf>,
    pub reserved_ports: Vec<u16>,
    /// Render options as run uses them (crt-list and admin socket in the work dir).
    pub render: RenderOptions,
    pub security: Security,
}

impl RunConfig {
    pub fn from_args(args: &RunArgs) -> Result<RunConfig, String> {
        let marathon = marathon_urls(&args.marathon)?;
        let security = args.security.load().map_err(|error| error.to_string())?;
        let scheme = security.client.scheme();
        let coordinator = args
            .coordinator
            .as_deref()
            .map(|list| {
                CoordAddresses::parse_with_scheme(list, scheme).map_err(|error| format!("--coordinator: {error}"))
            })
            .transpose()?;
        for (flag, root) in [("--marathon-root", &args.marathon_root), ("--lb-root", &args.lb_root)] {
            if !root.starts_with('/') || root.len() < 2 || root.ends_with('/') {
                return Err(format!("{flag}: `{root}` is not an absolute znode path such as /corral/lb"));
            }
        }
        let (host, port) = corral_kit::advertised_address(args.advertise.as_deref(), args.listen)
            .map_err(|error| format!("--advertise: {error}"))?;
        let positive = |flag: &str, ms: u64| match ms {
            0 => Err(format!("{flag}: must be above 0")),
            ms => Ok(Duration::from_millis(ms)),
        };
        let hard_stop_after = positive("--hard-stop-after-ms", args.hard_stop_after_ms)?;
        let tls = Some(TlsSource::CrtList(args.work_dir.join(crate::certs::CRT_LIST)));
        let admin = Some(args.work_dir.join(crate::haproxy::ADMIN_SOCKET));
        let (group, render) = args.render.options(tls, admin, hard_stop_after)?;
        Ok(RunConfig {
            marathon,
            work_dir: args.work_dir.clone(),
            haproxy: args.haproxy.clone(),
            listen: args.listen,
            advertise: format!("{host}:{port}"),
            coordinator,
            marathon_root: args.marathon_root.clone(),
            lb_root: args.lb_root.clone(),
            session_timeout: positive("--session-timeout-ms", args.session_timeout_ms)?,
            resync: positive("--resync-ms", args.resync_ms)?,
            group,
            certs_dir: args.render.certs_dir.clone(),
            reserved_ports: args.render.reserved_ports(),
            render,
            security,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(extra: &[&str]) -> Result<RunConfig, String> {
        let mut argv = vec!["corral-lb", "run", "--work-dir", "/tmp/lb"];
        if !extra.contains(&"--marathon") {
            argv.extend(["--marathon", "http://127.0.0.1:8080"]);
        }
        argv.extend_from_slice(extra);
        let LbCommand::Run(args) = LbArgs::try_parse_from(argv).unwrap().command else { panic!("run") };
        RunConfig::from_args(&args)
    }

    #[test]
    fn bad_values_name_their_flag() {
        let config = run(&[]).unwrap();
        assert_eq!(config.group, GroupFilter::Named("external".into()));
        assert_eq!((config.render.http_port, config.render.https_port, config.render.stats_port), (80, 443, 9090));
        for (args, flag) in [
            (&["--marathon", "ftp://x"][..], "--marathon"),
            (&["--marathon", ""], "--marathon"),
            (&["--https-port", "80"], "--http-port"),
            (&["--stats-port", "0"], "--stats-port"),
            (&["--group", " "], "--group"),
            (&["--certs-dir", "/nonexistent"], "--certs-dir"),
            (&["--lb-root", "lb"], "--lb-root"),
            (&["--coordinator", "nohost"], "--coordinator"),
        ] {
            let error = run(args).expect_err(flag);
            assert!(error.starts_with(flag), "{args:?}: {error}");
        }
    }
}
