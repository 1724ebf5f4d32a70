//! `corral-master`: parse the flags, set up logging, run the master.

use std::process::ExitCode;

use clap::Parser;
use corral_master::config::{MasterArgs, MasterConfig};

/// mimalloc: many small, short-lived buffers per request.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let args = MasterArgs::parse();
    corral_kit::init_logging(args.log_format);
    let config = match MasterConfig::from_args(&args) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("corral-master: {error}");
            return ExitCode::from(2);
        }
    };
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(corral_master::serve::run(config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("corral-master: {error}");
            ExitCode::FAILURE
        }
    }
}
