//! Telling a process from a later one with the same pid: the kernel's start time of a process
//! (field 22 of `/proc/<pid>/stat`, clock ticks since boot) never changes while it lives, and a
//! reused pid gets a later one.

/// A process as the agent recorded it at launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessIdentity {
    pub pid: i32,
    pub start_time: u64,
}

/// The fields of `/proc/<pid>/stat` the agent needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct StatFields {
    state: char,
    start_time: u64,
}

impl ProcessIdentity {
    /// The identity of a running process, or `None` if it does not exist.
    pub fn of(pid: i32) -> Option<Self> {
        let fields = read_stat(pid)?;
        Some(ProcessIdentity { pid, start_time: fields.start_time })
    }

    /// Whether this very process still runs: same pid, same start time, and not a zombie
    /// (a zombie has ended; it only waits for its parent to collect it).
    pub fn is_alive(&self) -> bool {
        read_stat(self.pid)
            .is_some_and(|fields| fields.start_time == self.start_time && !matches!(fields.state, 'Z' | 'X'))
    }
}

fn read_stat(pid: i32) -> Option<StatFields> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    parse_stat(&text)
}

/// `pid (comm) state ppid ...`: the command name may hold spaces and parentheses, so fields are
/// counted after the last `)`. Field 3 is the state, field 22 the start time.
fn parse_stat(text: &str) -> Option<StatFields> {
    let after_comm = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = after_comm.split_whitespace().collect();
    let state = fields.first()?.chars().next()?;
    let start_time = fields.get(19)?.parse().ok()?;
    Some(StatFields { state, start_time })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stat_lines_with_odd_names() {
        let line = "4242 (my (odd) name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10";
        assert_eq!(parse_stat(line), Some(StatFields { state: 'S', start_time: 987654 }));
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn knows_this_process_and_not_a_made_up_start_time() {
        let me = ProcessIdentity::of(std::process::id() as i32).expect("this process exists");
        assert!(me.is_alive());
        assert!(!ProcessIdentity { start_time: me.start_time + 1, ..me }.is_alive());
    }
}
