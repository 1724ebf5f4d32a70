//! `corral`: one command for a whole local cluster. `corral up` runs a coordinator ensemble, a
//! master, marathon, agents and (when HAProxy is installed) the load balancer as local processes (no Docker engine needed unless tasks use Docker),
//! restarts any that exits, and stops them all on Ctrl-C.

mod plan;
mod supervisor;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
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
    },
}

fn main() -> ExitCode {
    let options = match Args::parse().command {
        Command::Up(options) => options,
        Command::Health { url, timeout_ms } => return health(&url, Duration::from_millis(timeout_ms)),
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

/// `corral health URL`.
fn health(url: &str, timeout: Duration) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
    let answer = runtime.block_on(async {
        let client = reqwest::Client::builder().timeout(timeout).build().map_err(|e| e.to_string())?;
        client.get(url).send().await.map_err(|e| e.to_string())
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
            std::net::TcpListener::bind(("0.0.0.0", port))
                .map_err(|error| anyhow::anyhow!("{flag}: cannot listen on 0.0.0.0:{port}: {error}"))?;
        }
    } else {
        eprintln!("corral: haproxy is not installed (apt-get install haproxy): running without the load balancer");
    }
    supervisor::run_once(&plan::pseudo_cluster(&options), &bin).await?;
    let plan = plan::processes(&options, with_lb);
    let master = format!("http://127.0.0.1:{}", options.master_port);
    let supervised = tokio::spawn(supervisor::supervise(plan, bin, options.dir.clone()));
    let http = reqwest::Client::new();
    for _ in 0..100 {
        if http.get(format!("{master}/health")).send().await.is_ok_and(|r| r.status().is_success()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!("Corral is up (logs and data in {}):", options.dir.display());
    println!("  coordinator  {}", plan::coordinator_servers(&options));
    println!("  master       {master}   (web UI, /master/state, /api/v1/scheduler)");
    println!("  marathon     http://127.0.0.1:{}   (web UI, /v2/apps, /v2/events)", options.marathon_port);
    for agent in 0..options.agents {
        println!("  agent{}       http://{}", agent + 1, plan::agent_address(&options, agent));
    }
    if with_lb {
        println!(
            "  lb           HAProxy on :{} (HTTP), :{} (HTTPS), :{} (stats); http://127.0.0.1:{}/v1/status",
            options.lb_http_port, options.lb_https_port, options.lb_stats_port, options.lb_api_port
        );
    }
    println!("Ctrl-C stops everything.");
    supervised.await?
}
