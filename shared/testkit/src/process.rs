//! A child process that is killed (SIGKILL) when dropped, with every process it started, and
//! free loopback ports.

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// A port that was free a moment ago on 127.0.0.1.
pub fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind an ephemeral port");
    listener.local_addr().expect("local address").port()
}

/// The processes whose working directory is in `dir`: the tasks an agent started in its
/// sandboxes there, which outlive their agent by design.
pub(crate) fn processes_working_in(dir: &Path) -> Vec<u32> {
    let root = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let mut pids: Vec<u32> = std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| std::fs::read_link(format!("/proc/{pid}/cwd")).is_ok_and(|cwd| cwd.starts_with(&root)))
        .collect();
    pids.sort_unstable();
    pids
}

/// A running program, its arguments kept so it can be restarted; its output goes to a log file.
pub struct ChildProcess {
    program: PathBuf,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
}

impl ChildProcess {
    pub fn spawn(program: &Path, args: &[String], log: &Path) -> Self {
        let mut process =
            ChildProcess { program: program.to_path_buf(), args: args.to_vec(), log: log.to_path_buf(), child: None };
        process.start();
        process
    }

    fn start(&mut self) {
        let log = std::fs::OpenOptions::new().create(true).append(true).open(&self.log).expect("open the process log");
        // Its own process group, so that dropping it ends whatever it started too (the services
        // `corral up` runs, an agent's tasks), even when a test fails half-way.
        let child = Command::new(&self.program)
            .process_group(0)
            .args(&self.args)
            .env("RUST_LOG", std::env::var("RUST_LOG").unwrap_or_else(|_| "info".into()))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("clone the log handle"))
            .stderr(log)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {}: {error}", self.program.display()));
        self.child = Some(child);
    }

    /// The process id, while the process runs.
    pub fn id(&self) -> Option<u32> {
        self.child.as_ref().map(std::process::Child::id)
    }

    /// The exit status, once the process has exited on its own.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().and_then(|child| child.try_wait().ok().flatten())
    }

    /// Sends `signal` (a name such as `STOP` or `CONT`, as `kill` takes it) to the process.
    pub fn signal(&self, signal: &str) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill").args([&format!("-{signal}"), &child.id().to_string()]).status();
        }
    }

    /// SIGTERM: asks the process to stop cleanly (see `exit_status`).
    pub fn terminate(&mut self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        }
    }

    /// SIGTERM, then waits up to `limit` for the process to exit; whether it did.
    pub async fn stop(&mut self, limit: std::time::Duration) -> bool {
        self.terminate();
        let deadline = std::time::Instant::now() + limit;
        while self.exit_status().is_none() {
            if std::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        true
    }

    /// `kill -9`: the process gets no chance to clean up.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the same program again with the same arguments.
    pub fn restart(&mut self) {
        self.kill();
        self.start();
    }

    /// `kill -9` of the process and every process in its group (what it started).
    pub fn kill_group(&mut self) {
        if let Some(child) = &self.child {
            let _ = Command::new("kill").args(["-KILL", "--", &format!("-{}", child.id())]).status();
        }
        self.kill();
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        self.kill_group();
    }
}
