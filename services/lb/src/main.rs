//! `corral-lb`: parse the flags, set up logging, render once or run.

use std::process::ExitCode;

use clap::Parser;
use corral_lb::config::{LbArgs, LbCommand, RunConfig};

/// mimalloc, as in the other services.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = LbArgs::parse();
    corral_kit::init_logging(args.log_format);
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    let result = match &args.command {
        LbCommand::Render(render) => runtime.block_on(corral_lb::render_command(render)).map(|text| print!("{text}")),
        LbCommand::Run(run) => match RunConfig::from_args(run) {
            Ok(config) => runtime.block_on(corral_lb::run(config)).map_err(|error| error.to_string()),
            Err(error) => {
                eprintln!("corral-lb: {error}");
                return ExitCode::from(2);
            }
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("corral-lb: {error}");
            ExitCode::FAILURE
        }
    }
}
