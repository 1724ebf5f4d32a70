//! Runs the processes of a plan, restarts any that exits (a master that loses its coordinator
//! session exits by design and comes back as a standby), and stops them all on Ctrl-C or SIGTERM.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::Context;
use tokio::process::{Child, Command};

use crate::plan::ProcessSpec;

/// A running process of the plan and where its output goes.
struct Supervised {
    spec: ProcessSpec,
    program: PathBuf,
    log: PathBuf,
    child: Child,
}

/// The directory holding the Corral binaries: the one `corral` itself was started from.
pub(crate) fn binaries_dir() -> anyhow::Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot find the corral executable")?;
    Ok(exe.parent().context("the corral executable has no directory")?.to_path_buf())
}

/// Runs a command of the plan to completion (such as writing configs).
pub(crate) async fn run_once(spec: &ProcessSpec, bin: &Path) -> anyhow::Result<()> {
    let status = Command::new(bin.join(spec.binary))
        .args(&spec.args)
        .stdout(Stdio::null())
        .status()
        .await
        .with_context(|| format!("cannot run {}", spec.binary))?;
    anyhow::ensure!(status.success(), "{} {} failed: {status}", spec.binary, spec.args.join(" "));
    Ok(())
}

fn start(spec: &ProcessSpec, program: &Path, log: &Path) -> anyhow::Result<Child> {
    let output = std::fs::OpenOptions::new().create(true).append(true).open(log)?;
    Command::new(program)
        .args(&spec.args)
        .stdin(Stdio::null())
        .stdout(output.try_clone()?)
        .stderr(output)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| {
            format!("cannot start {} (build it with `cargo build --release --workspace --bins`)", program.display())
        })
}

/// Starts every process (logs in `log_dir/<name>.log`) and keeps them running until a signal.
pub(crate) async fn supervise(plan: Vec<ProcessSpec>, bin: PathBuf, log_dir: PathBuf) -> anyhow::Result<()> {
    let mut running = Vec::new();
    for spec in plan {
        let program = bin.join(spec.binary);
        let log = log_dir.join(format!("{}.log", spec.name));
        let child = start(&spec, &program, &log)?;
        running.push(Supervised { spec, program, log, child });
    }
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
        for process in &mut running {
            if let Ok(Some(status)) = process.child.try_wait() {
                eprintln!(
                    "corral: {} exited ({status}); restarting it (log: {})",
                    process.spec.name,
                    process.log.display()
                );
                process.child = start(&process.spec, &process.program, &process.log)?;
            }
        }
    }
    eprintln!("corral: stopping");
    for process in running.iter_mut().rev() {
        if let Some(pid) = process.child.id() {
            let _ = Command::new("kill").args(["-TERM", &pid.to_string()]).status().await;
        }
        let _ = tokio::time::timeout(Duration::from_secs(5), process.child.wait()).await;
        let _ = process.child.kill().await;
    }
    Ok(())
}

async fn shutdown_signal() {
    let mut terminate =
        tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = terminate.recv() => {},
    }
}
