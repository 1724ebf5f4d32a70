//! `corral-marathon`: parse the flags, set up logging, run marathon.

use std::process::ExitCode;

use clap::Parser;
use corral_marathon::config::{MarathonArgs, MarathonConfig};

/// mimalloc: many small, short-lived buffers per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = MarathonArgs::parse();
    corral_kit::init_logging(args.log_format);
    let config = match MarathonConfig::from_args(&args) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("corral-marathon: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(corral_marathon::serve::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("corral-marathon: {error}");
            ExitCode::FAILURE
        }
    }
}
