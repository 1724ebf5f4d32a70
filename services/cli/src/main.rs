//! `corral`: one command for a whole local cluster. `corral up` runs a coordinator ensemble, a
//! master, marathon, agents and (when HAProxy is installed) the load balancer as local processes (no Docker engine needed unless tasks use Docker),
//! restarts any that exits, and stops them all on Ctrl-C.

mod plan;
mod secure;
mod supervisor;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use corral_kit::auth::{Issuer, Role};
use corral_kit::SecurityArgs;
use plan::UpOptions;

#[derive(Parser)]
#[command(name = "corral", version, about = "Run a local Corral cluster.")]
struct Args {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start coordinators, a master and agents as local processes; Ctrl-C stops them.
    Up(UpOptions),
    /// Exit 0 when `URL` answers 2xx within `--timeout-ms`, 1 otherwise: a container healthcheck
    /// for images without a shell or curl.
    Health {
        url: String,
        #[arg(long, default_value_t = 2_000)]
        timeout_ms: u64,
        /// The CA to trust for an https URL.
        #[arg(long)]
        tls_ca: Option<std::path::PathBuf>,
    },
    /// Bearer tokens for secured services.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Write what a secured cluster runs with (a CA, a certificate for the given names and
    /// 127.0.0.1/localhost, a token secret, an admin token and one token per service) under
    /// `--dir`, as `corral up --secure` does; files that exist are kept. For clusters started
    /// otherwise, such as `docker-compose -f docker-compose.yml -f docker-compose.secure.yml`.
    Secure {
        #[arg(long)]
        dir: std::path::PathBuf,
        /// A host name or address the services are reached by (repeat for several).
        #[arg(long = "name")]
        names: Vec<String>,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Print a token (as the last line) signed with the HS256 secret or a private key.
    Issue {
        /// A role the token carries (repeat for several).
        #[arg(long = "role", value_enum, required = true)]
        roles: Vec<Role>,
        /// How long the token is valid: 24h, 30m, 7d, 3600s.
        #[arg(long, default_value = "24h")]
        ttl: String,
        /// Who holds the token (its subject: a framework's principal).
        #[arg(long, default_value = "operator")]
        subject: String,
        /// The HS256 secret the services check tokens with (`--jwt-secret-file`).
        #[arg(long, required_unless_present = "private_key", conflicts_with = "private_key")]
        secret_file: Option<std::path::PathBuf>,
        /// An Ed25519 or RSA private key (PEM) whose public key the services check with.
        #[arg(long)]
        private_key: Option<std::path::PathBuf>,
    },
}

fn main() -> ExitCode {
    let options = match Args::parse().command {
        Command::Up(options) => options,
        Command::Health { url, timeout_ms, tls_ca } => return health(&url, Duration::from_millis(timeout_ms), tls_ca),
        Command::Secure { dir, names } => {
            return match secure::SecureFiles::in_dir(&dir).ensure(&names) {
                Ok(()) => {
                    println!("wrote {}/tls, jwt.secret, admin.token and tokens/", dir.display());
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("corral: {error:#}");
                    ExitCode::FAILURE
                }
            };
        }
        Command::Token(TokenCommand::Issue { roles, ttl, subject, secret_file, private_key }) => {
            return match issue_token(&roles, &ttl, &subject, secret_file, private_key) {
                Ok(token) => {
                    println!("{token}");
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("corral: {error:#}");
                    ExitCode::from(2)
                }
            };
        }
    };
    if options.coordinator_nodes == 0 || options.agents == 0 || options.agents > 100 {
        eprintln!("corral: --coordinators must be at least 1 and --agents between 1 and 100");
        return ExitCode::from(2);
    }
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(up(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("corral: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// `corral token issue`.
fn issue_token(
    roles: &[Role],
    ttl: &str,
    subject: &str,
    secret_file: Option<std::path::PathBuf>,
    private_key: Option<std::path::PathBuf>,
) -> anyhow::Result<String> {
    let ttl = secure::parse_ttl(ttl).map_err(|error| anyhow::anyhow!("--ttl: {error}"))?;
    let issuer = match (secret_file, private_key) {
        (Some(path), _) => Issuer::from_secret_file(&path).context("--secret-file")?,
        (None, Some(path)) => Issuer::from_private_key_file(&path).context("--private-key")?,
        (None, None) => anyhow::bail!("give --secret-file or --private-key"),
    };
    Ok(issuer.issue(subject, roles, corral_kit::auth::unix_seconds(), ttl)?)
}

/// `corral health URL`.
fn health(url: &str, timeout: Duration, tls_ca: Option<std::path::PathBuf>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let answer = runtime.block_on(async {
        let security = SecurityArgs { tls_ca, ..SecurityArgs::default() }.load().map_err(|e| e.to_string())?;
        let client = security.client.http_client();
        client.get(url).timeout(timeout).send().await.map_err(|e| e.to_string())
    });
    match answer {
        Ok(response) if response.status().is_success() => ExitCode::SUCCESS,
        Ok(response) => {
            eprintln!("corral: {url} answered {}", response.status());
            ExitCode::FAILURE
        }
        Err(error) => {
            eprintln!("corral: {url}: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Whether `haproxy` is on the PATH.
fn haproxy_installed() -> bool {
    std::env::var_os("PATH").is_some_and(|path| std::env::split_paths(&path).any(|dir| dir.join("haproxy").is_file()))
}

async fn up(options: UpOptions) -> anyhow::Result<()> {
    let bin = supervisor::binaries_dir()?;
    std::fs::create_dir_all(&options.dir)?;
    let with_lb = haproxy_installed();
    if with_lb {
        for (flag, port) in options.lb_ports() {
            std::net::TcpListener::bind(("127.0.0.1", port))
                .map_err(|error| anyhow::anyhow!("{flag}: cannot listen on 127.0.0.1:{port}: {error}"))?;
        }
    } else {
        eprintln!("corral: haproxy is not installed (apt-get install haproxy): running without the load balancer");
    }
    let secure = plan::secure_files(&options);
    if let Some(files) = &secure {
        files.ensure(&[corral_kit::local_hostname()])?;
    }
    supervisor::run_once(&plan::pseudo_cluster(&options), &bin).await?;
    let plan = plan::processes(&options, with_lb);
    let scheme = plan::scheme(&options);
    let master = format!("{scheme}://127.0.0.1:{}", options.master_port);
    let supervised = tokio::spawn(supervisor::supervise(plan, bin, options.dir.clone()));
    let tls_ca = secure.as_ref().map(|files| files.ca());
    let http = SecurityArgs { tls_ca, ..SecurityArgs::default() }.load()?.client.http_client();
    for _ in 0..100 {
        if http.get(format!("{master}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("Corral is up (logs and data in {}):", options.dir.display());
    let coordinator = format!("{scheme}://127.0.0.1:{}", options.coordinator_port);
    println!("  coordinator  {}   (web page: {coordinator})", plan::coordinator_servers(&options));
    println!("  master       {master}   (web page, /master/state, /api/v1/scheduler)");
    println!("  marathon     {scheme}://127.0.0.1:{}   (web page, /v2/apps, /v2/events)", options.marathon_port);
    for agent in 0..options.agents {
        println!("  agent{}       {scheme}://{}", agent + 1, plan::agent_address(&options, agent));
    }
    if with_lb {
        println!(
            "  lb           HAProxy on :{} (HTTP), :{} (HTTPS), :{} (stats); web page and /v1/routes on {scheme}://127.0.0.1:{}",
            options.lb_http_port, options.lb_https_port, options.lb_stats_port, options.lb_api_port
        );
    }
    if let Some(files) = &secure {
        println!("TLS and tokens are on; the admin token is in {}. For example:", files.admin_token().display());
        println!(
            "  curl --cacert {} -H \"Authorization: Bearer $(cat {})\" https://127.0.0.1:{}/v2/apps",
            files.ca().display(),
            files.admin_token().display(),
            options.marathon_port
        );
    }
    println!("Ctrl-C stops everything.");
    supervised.await?
}
