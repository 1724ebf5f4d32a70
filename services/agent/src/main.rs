//! `corral-agent`: parse and validate the flags, set up logging, run the agent. Run as
//! `corral-agent launch-task` by the agent itself, it is the launcher of a process task instead
//! (`containerizer::process::launcher`).

use std::process::ExitCode;

use clap::Parser;
use corral_agent::config::{AgentConfig, AgentFlags};
use corral_agent::containerizer::process::launcher;
use corral_agent::host_resources::HostMeasurements;

/// mimalloc, as in the other services: many small, short-lived buffers per request and update.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|first| first == launcher::LAUNCH_TASK) {
        return launcher::run();
    }
    let flags = match AgentFlags::try_parse() {
        Ok(flags) => flags,
        Err(error) if !error.use_stderr() => error.exit(),
        Err(error) => {
            // clap's first paragraph names the flag; the usage hint after it is noise here.
            let rendered = error.to_string();
            let paragraph: Vec<&str> =
                rendered.lines().take_while(|line| !line.trim().is_empty()).map(str::trim).collect();
            eprintln!("corral-agent: {}", paragraph.join(" ").trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    let hostname = nix::unistd::gethostname()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|_| "localhost".into());
    let config = match AgentConfig::from_flags(&flags, HostMeasurements::measure(&flags.work_dir), &hostname) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("corral-agent: {error}");
            return ExitCode::from(2);
        }
    };
    corral_kit::init_logging(flags.log_format);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(corral_agent::run::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            // Each error's text already includes its cause.
            eprintln!("corral-agent: {error}");
            ExitCode::FAILURE
        }
    }
}
