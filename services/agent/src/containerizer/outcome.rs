//! How a container ended ([`ExitOutcome`]), why the agent stopped it ([`KillCause`]), and the
//! terminal status that follows from the two ([`TerminalReport`]). Pure.
//!
//! A task the agent was asked to kill ends TASK_KILLED whatever its exit; otherwise exit status 0
//! is TASK_FINISHED and anything else TASK_FAILED, with a message naming the status or signal
//! (and the memory limit, for a task the kernel ended for going over it).

use corral_wire::mesos::{StatusReason, TaskState};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExitOutcome {
    /// The task's command exited with this status.
    Exited(i32),
    /// The task's command was ended by this signal.
    Signaled(i32),
    /// A simulated task was stopped.
    Stopped,
    /// It ended, but how is not known (a process re-attached after an agent restart is not the
    /// agent's child, so its exit status cannot be collected); the text says what is known.
    Vanished(String),
    /// It went over its memory limit (MB) and the kernel's OOM killer ended it, or one of its
    /// processes; `exit` is how the command then ended.
    OverMemoryLimit { limit_mb: u64, exit: Box<ExitOutcome> },
}

impl ExitOutcome {
    /// `exited with status 3`, `terminated by signal SIGTERM (15)`.
    pub fn describe(&self) -> String {
        match self {
            ExitOutcome::Exited(code) => format!("exited with status {code}"),
            ExitOutcome::Signaled(signal) => format!("terminated by signal {}", signal_name(*signal)),
            ExitOutcome::Stopped => "stopped".to_string(),
            ExitOutcome::Vanished(what) => what.clone(),
            ExitOutcome::OverMemoryLimit { limit_mb, exit } => {
                format!("went over its memory limit of {limit_mb} MB and was ended by the kernel ({})", exit.describe())
            }
        }
    }

    /// This outcome, told as going over the memory limit when the OOM killer ended any process
    /// of the task (`oom_kills` > 0) and the task had a limit.
    pub fn with_oom_kills(self, oom_kills: u64, limit_mb: Option<u64>) -> Self {
        match limit_mb {
            Some(limit_mb) if oom_kills > 0 => ExitOutcome::OverMemoryLimit { limit_mb, exit: Box::new(self) },
            _ => self,
        }
    }
}

fn signal_name(signal: i32) -> String {
    match nix::sys::signal::Signal::try_from(signal) {
        Ok(known) => format!("{} ({signal})", known.as_str()),
        Err(_) => format!("{signal}"),
    }
}

/// Why the agent stopped a task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KillCause {
    /// A KILL command from the master.
    Requested,
    /// The framework was shut down.
    FrameworkShutdown,
    /// Health checks failed too many times in a row; the text says how.
    HealthChecksFailed(String),
}

/// The terminal status of a task: state, message, reason and last health.
#[derive(Debug, Clone, PartialEq)]
pub struct TerminalReport {
    pub state: TaskState,
    pub message: String,
    pub reason: Option<StatusReason>,
    pub healthy: Option<bool>,
}

impl TerminalReport {
    pub fn new(outcome: &ExitOutcome, kill: Option<&KillCause>) -> Self {
        let how = outcome.describe();
        let report = |state, message: String, reason| TerminalReport { state, message, reason, healthy: None };
        match (kill, outcome) {
            (Some(KillCause::Requested), _) => {
                report(TaskState::TaskKilled, format!("Killed: the command {how}"), None)
            }
            (Some(KillCause::FrameworkShutdown), _) => report(
                TaskState::TaskKilled,
                format!("Killed because its framework was shut down: the command {how}"),
                Some(StatusReason::ReasonFrameworkRemoved),
            ),
            (Some(KillCause::HealthChecksFailed(why)), _) => TerminalReport {
                healthy: Some(false),
                ..report(
                    TaskState::TaskKilled,
                    format!("Killed because health checks failed ({why}): the command {how}"),
                    None,
                )
            },
            (None, ExitOutcome::Exited(0)) => report(TaskState::TaskFinished, format!("Command {how}"), None),
            (
                None,
                ExitOutcome::Exited(_)
                | ExitOutcome::Signaled(_)
                | ExitOutcome::Stopped
                | ExitOutcome::OverMemoryLimit { .. },
            ) => report(TaskState::TaskFailed, format!("Command {how}"), None),
            (None, ExitOutcome::Vanished(_)) => {
                report(TaskState::TaskFailed, how, Some(StatusReason::ReasonExecutorTerminated))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(outcome: ExitOutcome, kill: Option<KillCause>, state: TaskState, message: &str) {
        let report = TerminalReport::new(&outcome, kill.as_ref());
        assert_eq!(report.state, state, "{outcome:?} {kill:?}");
        assert!(report.message.contains(message), "{:?} lacks {message:?}", report.message);
    }

    #[test]
    fn maps_exits_and_kills_to_terminal_states() {
        check(ExitOutcome::Exited(0), None, TaskState::TaskFinished, "exited with status 0");
        check(ExitOutcome::Exited(3), None, TaskState::TaskFailed, "exited with status 3");
        check(ExitOutcome::Signaled(9), None, TaskState::TaskFailed, "signal SIGKILL (9)");
        check(ExitOutcome::Signaled(15), Some(KillCause::Requested), TaskState::TaskKilled, "SIGTERM");
        check(ExitOutcome::Exited(0), Some(KillCause::Requested), TaskState::TaskKilled, "status 0");
        check(ExitOutcome::Vanished("gone".into()), None, TaskState::TaskFailed, "gone");
        check(ExitOutcome::Stopped, Some(KillCause::FrameworkShutdown), TaskState::TaskKilled, "framework");
        let health = Some(KillCause::HealthChecksFailed("3 in a row".into()));
        check(ExitOutcome::Signaled(15), health.clone(), TaskState::TaskKilled, "health checks failed (3 in a row)");
        assert_eq!(TerminalReport::new(&ExitOutcome::Signaled(15), health.as_ref()).healthy, Some(false));
        let oom = ExitOutcome::Signaled(9).with_oom_kills(1, Some(32));
        check(oom.clone(), None, TaskState::TaskFailed, "went over its memory limit of 32 MB");
        check(oom, None, TaskState::TaskFailed, "(terminated by signal SIGKILL (9))");
        check(
            ExitOutcome::Exited(137).with_oom_kills(2, Some(64)),
            Some(KillCause::Requested),
            TaskState::TaskKilled,
            "64 MB",
        );
    }

    #[test]
    fn only_oom_kills_under_a_limit_count() {
        assert_eq!(ExitOutcome::Exited(1).with_oom_kills(0, Some(32)), ExitOutcome::Exited(1));
        assert_eq!(ExitOutcome::Exited(1).with_oom_kills(3, None), ExitOutcome::Exited(1));
    }
}
