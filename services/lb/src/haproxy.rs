//! Debian's HAProxy, driven: checked configs (`haproxy -c`), the master process in master-worker
//! mode (`-W -S`), reloads through its master CLI, and the runtime API on the admin socket.
//!
//! Failure meanings: `Refused` is a config `haproxy -c` rejects (with the lines it named, so the
//! caller can tell whose they are); `Io` is a socket or process that did not answer as HAProxy
//! does, which the caller retries or reports.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;
use tokio::process::Command;
use tokio::sync::watch;

/// The runtime API socket, in the work dir.
pub const ADMIN_SOCKET: &str = "haproxy-admin.sock";
/// The master CLI socket, in the work dir.
const MASTER_SOCKET: &str = "haproxy-master.sock";
/// The config HAProxy runs, in the work dir (rewritten atomically).
pub const CONFIG_FILE: &str = "haproxy.cfg";
/// The master process's pid, in the work dir.
pub const PID_FILE: &str = "haproxy.pid";

/// How long a runtime API or master CLI exchange may take.
const SOCKET_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum HaproxyError {
    #[error("haproxy -c refused the config: {message}")]
    Refused { lines: Vec<usize>, message: String },
    #[error("{0}")]
    Io(String),
}

impl HaproxyError {
    fn io(what: &str, error: impl std::fmt::Display) -> HaproxyError {
        HaproxyError::Io(format!("{what}: {error}"))
    }
}

/// One HAProxy master process and its sockets.
pub struct Haproxy {
    binary: PathBuf,
    work_dir: PathBuf,
    /// The master's pid while it runs, and how it ended once it has.
    master: Option<(u32, watch::Receiver<Option<String>>)>,
}

/// The runtime API socket alone, for tasks that only ask HAProxy questions.
#[derive(Debug, Clone)]
pub struct RuntimeApi {
    socket: PathBuf,
}

impl RuntimeApi {
    /// One runtime API command; its answer.
    pub async fn command(&self, command: &str) -> Result<String, HaproxyError> {
        exchange(&self.socket, command).await
    }
}

/// The workers `show proc` lists: how many config generations are alive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Processes {
    pub reloads: u64,
    pub failed_reloads: u64,
    /// Distinct generations among the workers (1 when no old worker is finishing).
    pub generations: usize,
}

impl Haproxy {
    pub fn new(binary: &Path, work_dir: &Path) -> Haproxy {
        Haproxy { binary: binary.to_path_buf(), work_dir: work_dir.to_path_buf(), master: None }
    }

    pub fn config_path(&self) -> PathBuf {
        self.work_dir.join(CONFIG_FILE)
    }

    /// Checks `text` with `haproxy -c` (as `<work dir>/haproxy.cfg.check`).
    pub async fn check(&self, text: &str) -> Result<(), HaproxyError> {
        let path = self.work_dir.join(format!("{CONFIG_FILE}.check"));
        tokio::fs::write(&path, text).await.map_err(|e| HaproxyError::io("writing the config to check", e))?;
        let output = Command::new(&self.binary)
            .arg("-c")
            .arg("-q")
            .arg("-f")
            .arg(&path)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| HaproxyError::io(&format!("running {} -c", self.binary.display()), e))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        let alerts: Vec<&str> = stderr.lines().filter(|line| line.contains("[ALERT]")).collect();
        Err(HaproxyError::Refused { lines: refused_lines(&stderr), message: alerts.join("; ") })
    }

    /// Writes the config HAProxy runs: to a temporary file, then renamed over the old one.
    pub async fn install(&self, text: &str) -> Result<(), HaproxyError> {
        write_atomically(&self.config_path(), text.as_bytes()).await
    }

    /// Starts HAProxy's master (in the foreground, as the lb's child) on the installed config,
    /// and waits until its master CLI answers.
    pub async fn start(&mut self) -> Result<(), HaproxyError> {
        let master = self.work_dir.join(MASTER_SOCKET);
        if let Some(pid) = self.running_master().await {
            return self.adopt(pid).await;
        }
        let _ = tokio::fs::remove_file(&master).await;
        let mut child = Command::new(&self.binary)
            .arg("-W")
            .arg("-S")
            .arg(&master)
            .arg("-p")
            .arg(self.work_dir.join(PID_FILE))
            .arg("-f")
            .arg(self.config_path())
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| HaproxyError::io(&format!("starting {}", self.binary.display()), e))?;
        let pid = child.id().unwrap_or_default();
        let (ended, exit) = watch::channel(None);
        tokio::spawn(async move {
            let how = match child.wait().await {
                Ok(status) => status.to_string(),
                Err(error) => error.to_string(),
            };
            ended.send_replace(Some(how));
        });
        self.master = Some((pid, exit.clone()));
        for _ in 0..100 {
            if let Some(how) = exit.borrow().clone() {
                return Err(HaproxyError::Io(format!("haproxy exited at start ({how}); is a port in use?")));
            }
            if self.processes().await.is_ok() && self.runtime("show info").await.is_ok() {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(HaproxyError::Io("haproxy did not answer on its sockets within 5 s".into()))
    }

    /// The pid of an HAProxy master an earlier lb left serving in this work dir (an lb killed
    /// with SIGKILL leaves its HAProxy serving), if its master CLI answers.
    async fn running_master(&self) -> Option<u32> {
        let pid: u32 = tokio::fs::read_to_string(self.work_dir.join(PID_FILE)).await.ok()?.trim().parse().ok()?;
        self.processes().await.ok()?;
        Some(pid)
    }

    /// Takes over a running master: the installed config is loaded by a reload, so its
    /// listening sockets are never closed; its exit is noticed by polling.
    async fn adopt(&mut self, pid: u32) -> Result<(), HaproxyError> {
        tracing::info!(message = "Taking over the HAProxy an earlier lb left serving.", pid);
        let (ended, exit) = watch::channel(None);
        let raw = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or_default());
        tokio::spawn(async move {
            while nix::sys::signal::kill(raw, None).is_ok() {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
            ended.send_replace(Some("the adopted master is gone".to_string()));
        });
        self.master = Some((pid, exit));
        self.reload().await
    }

    /// Resolves with how the master process ended (never, while it serves).
    pub fn exited(&self) -> impl std::future::Future<Output = String> + 'static {
        let exit = self.master.as_ref().map(|(_, exit)| exit.clone());
        async move {
            let Some(mut exit) = exit else { return std::future::pending().await };
            let how = match exit.wait_for(Option::is_some).await {
                Ok(how) => how.clone().unwrap_or_default(),
                Err(_) => "the watcher ended".to_string(),
            };
            how
        }
    }

    /// Stops HAProxy: its workers finish what they serve (up to `hard-stop-after`), then the
    /// master exits.
    pub async fn stop(&mut self) {
        let Some((pid, mut exit)) = self.master.take() else { return };
        let pid = nix::unistd::Pid::from_raw(i32::try_from(pid).unwrap_or_default());
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGUSR1);
        if tokio::time::timeout(Duration::from_secs(30), exit.wait_for(Option::is_some)).await.is_err() {
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        }
    }

    /// A handle on the runtime API socket.
    pub fn runtime_api(&self) -> RuntimeApi {
        RuntimeApi { socket: self.work_dir.join(ADMIN_SOCKET) }
    }

    /// Reloads the installed config: new workers take over the listening sockets, so no
    /// connection is refused; the old ones finish their connections. Returns once the new
    /// generation serves.
    pub async fn reload(&self) -> Result<(), HaproxyError> {
        let before = self.processes().await?;
        // The master re-executes itself and drops this connection: its answer is not awaited.
        let _ = exchange(&self.work_dir.join(MASTER_SOCKET), "reload").await;
        for _ in 0..200 {
            tokio::time::sleep(Duration::from_millis(25)).await;
            let Ok(now) = self.processes().await else { continue };
            if now.failed_reloads > before.failed_reloads {
                return Err(HaproxyError::Io("haproxy could not load the new config".into()));
            }
            if now.reloads > before.reloads && self.runtime("show info").await.is_ok() {
                return Ok(());
            }
        }
        Err(HaproxyError::Io("haproxy did not finish reloading within 5 s".into()))
    }

    /// `show proc` on the master CLI.
    pub async fn processes(&self) -> Result<Processes, HaproxyError> {
        let text = exchange(&self.work_dir.join(MASTER_SOCKET), "show proc").await?;
        parse_processes(&text).ok_or_else(|| HaproxyError::Io(format!("unexpected `show proc` answer: {text:?}")))
    }

    /// One runtime API command; its answer. HAProxy answers errors in text, so commands whose
    /// success is silent (`set server ...`) are checked by the caller.
    pub async fn runtime(&self, command: &str) -> Result<String, HaproxyError> {
        exchange(&self.work_dir.join(ADMIN_SOCKET), command).await
    }
}

/// Sends one command to a HAProxy socket and reads the answer to the end.
async fn exchange(socket: &Path, command: &str) -> Result<String, HaproxyError> {
    let talk = async {
        let mut stream = UnixStream::connect(socket).await?;
        stream.write_all(command.as_bytes()).await?;
        if !command.ends_with('\n') {
            stream.write_all(b"\n").await?;
        }
        stream.shutdown().await?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer).await?;
        Ok::<String, std::io::Error>(answer)
    };
    match tokio::time::timeout(SOCKET_TIMEOUT, talk).await {
        Ok(Ok(answer)) => Ok(answer),
        Ok(Err(error)) => Err(HaproxyError::io(&format!("{} ({command:?})", socket.display()), error)),
        Err(_) => Err(HaproxyError::Io(format!("{}: no answer to {command:?} within 5 s", socket.display()))),
    }
}

/// Writes `bytes` to `path` through a temporary file and a rename, so readers see the old file
/// or the new one, never a part.
pub async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), HaproxyError> {
    let temporary = path.with_extension("tmp");
    let write = async {
        let mut file = tokio::fs::File::create(&temporary).await?;
        file.write_all(bytes).await?;
        file.sync_all().await?;
        tokio::fs::rename(&temporary, path).await
    };
    write.await.map_err(|e| HaproxyError::io(&format!("writing {}", path.display()), e))
}

/// The config lines named in `haproxy -c`'s alerts (`[file:line]`).
fn refused_lines(stderr: &str) -> Vec<usize> {
    let mut lines: Vec<usize> = stderr
        .lines()
        .filter(|line| line.contains("[ALERT]"))
        .filter_map(|line| {
            let start = line.find(&format!("{CONFIG_FILE}.check:"))? + CONFIG_FILE.len() + ".check:".len();
            let digits: String = line[start..].chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
        .collect();
    lines.sort_unstable();
    lines.dedup();
    lines
}

/// Reads `show proc`: the master's reload counters and the workers' generations.
fn parse_processes(text: &str) -> Option<Processes> {
    let mut reloads = None;
    let mut failed = 0;
    let mut generations = std::collections::BTreeSet::new();
    for line in text.lines().filter(|line| !line.starts_with('#')) {
        let fields: Vec<&str> = line.split_whitespace().collect();
        match fields.get(1) {
            Some(&"master") => {
                reloads = fields.get(2).and_then(|n| n.parse().ok());
                failed = line
                    .split("failed: ")
                    .nth(1)
                    .and_then(|rest| rest.trim_end_matches(']').split(']').next()?.trim().parse().ok())
                    .unwrap_or(0);
            }
            Some(&"worker") => {
                generations.insert(fields.get(2).copied().unwrap_or("0").to_string());
            }
            _ => {}
        }
    }
    Some(Processes { reloads: reloads?, failed_reloads: failed, generations: generations.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn show_proc_is_read() {
        let text = "#<PID>          <type>          <reloads>       <uptime>        <version>      \n\
                    5822            master          3 [failed: 1]   0d00h10m07s     2.6.12\n\
                    # workers\n\
                    31587           worker          0               0d00h00m01s     2.6.12\n\
                    31500           worker          1               0d00h00m09s     2.6.12\n\
                    # programs\n";
        assert_eq!(parse_processes(text), Some(Processes { reloads: 3, failed_reloads: 1, generations: 2 }));
    }

    #[test]
    fn refused_lines_are_read_from_alerts() {
        let stderr = "[NOTICE]   (1969) : haproxy version is 2.6.12\n\
            [ALERT]    (1969) : config : parsing [/w/haproxy.cfg.check:25] : unknown keyword 'bogus'\n\
            [ALERT]    (1969) : config : parsing [/w/haproxy.cfg.check:7] : 'bind :443' : unable to load\n\
            [ALERT]    (1969) : config : Fatal errors found in configuration.\n";
        assert_eq!(refused_lines(stderr), [7, 25]);
    }
}
