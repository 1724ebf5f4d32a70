//! Logging through `tracing`: levels from RUST_LOG (default `info`), plain or JSON lines on stderr.
//! And the rule for panics: a panic anywhere, a background task included, is logged and ends the
//! process. A service with a task that died would live on unable to act (a leader holding its
//! office while every call fails); ended, it is restarted, and a standby takes over meanwhile.

use tracing_subscriber::EnvFilter;

/// How log lines are written (`--log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Plain,
    Json,
}

/// Installs the global subscriber; call once, first thing in `main`.
pub fn init_logging(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    match format {
        LogFormat::Plain => builder.init(),
        LogFormat::Json => builder.json().init(),
    }
    end_process_on_panic();
}

/// Makes every panic log itself and abort the process (tokio would otherwise catch a panic in a
/// spawned task and let the process go on without it).
fn end_process_on_panic() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        default(info);
        tracing::error!(message = "A panic ends the process, so that it is restarted.", panic = %info);
        std::process::abort();
    }));
}
