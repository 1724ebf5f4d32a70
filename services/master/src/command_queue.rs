//! An agent's queue of commands: numbered in order, kept until the agent's next poll says it has
//! them (`after=SEQ`), so a command lost with a poll's answer is delivered again.

use std::collections::VecDeque;
use std::sync::Arc;

use corral_wire::agent_api::{AgentCommand, SequencedCommand};
use tokio::sync::Notify;

#[derive(Debug, Default)]
pub struct CommandQueue {
    next_seq: u64,
    pending: VecDeque<SequencedCommand>,
    /// Wakes the agent's waiting poll.
    arrived: Arc<Notify>,
}

impl CommandQueue {
    pub fn new() -> Self {
        CommandQueue { next_seq: 1, ..CommandQueue::default() }
    }

    pub fn push(&mut self, command: AgentCommand) {
        self.pending.push_back(SequencedCommand { seq: self.next_seq, command });
        self.next_seq += 1;
        self.arrived.notify_waiters();
    }

    /// Forgets every command up to and including `seq` (the agent has them).
    pub fn acknowledge(&mut self, seq: u64) {
        while self.pending.front().is_some_and(|command| command.seq <= seq) {
            self.pending.pop_front();
        }
    }

    /// The commands the agent does not have yet.
    pub fn pending(&self) -> Vec<SequencedCommand> {
        self.pending.iter().cloned().collect()
    }

    pub fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }

    /// A handle to wait on for the next command.
    pub fn arrivals(&self) -> Arc<Notify> {
        self.arrived.clone()
    }
}

#[cfg(test)]
mod tests {
    use corral_wire::mesos::{FrameworkId, TaskId};

    use super::*;

    fn kill(task: &str) -> AgentCommand {
        AgentCommand::Kill { framework_id: FrameworkId::new("f"), task_id: TaskId::new(task), kill_policy: None }
    }

    #[test]
    fn commands_stay_until_acknowledged() {
        let mut queue = CommandQueue::new();
        queue.push(kill("a"));
        queue.push(kill("b"));
        assert_eq!(queue.pending().iter().map(|c| c.seq).collect::<Vec<_>>(), vec![1, 2]);
        queue.acknowledge(1);
        assert_eq!(queue.pending().iter().map(|c| c.seq).collect::<Vec<_>>(), vec![2]);
        queue.acknowledge(7);
        assert!(queue.is_empty());
        queue.push(kill("c"));
        assert_eq!(queue.pending()[0].seq, 3);
    }
}
