//! [`Proposer`]: group commit on the leader. Commands from concurrent requests are gathered into
//! one raft entry, so one log write (and one fsync on each replica) carries many of them.
//!
//! openraft 0.9 writes each entry to the log before it accepts the next one, so without this its
//! throughput is one fsync per write. Each command in a batch still applies, or is refused, alone.

use std::sync::Arc;
use std::time::Duration;

use openraft::error::{ClientWriteError, RaftError};
use tokio::sync::{mpsc, oneshot, Semaphore};

use crate::machine::{Command, Outcome, Proposal};
use crate::node::{now_ms, NodeError};
use crate::raft::Raft;

/// Most commands in one entry.
const MAX_BATCH: usize = 1024;
/// Batches handed to raft at once: a new batch forms while earlier ones replicate.
const IN_FLIGHT: usize = 2;
/// How long a batch may take to be committed and applied before its outcome is unknown.
pub const COMMIT_TIMEOUT: Duration = Duration::from_secs(10);

type Reply = oneshot::Sender<Result<(Outcome, u64), NodeError>>;

#[derive(Debug, Clone)]
pub struct Proposer {
    queue: mpsc::UnboundedSender<(Command, Reply)>,
}

impl Proposer {
    /// Starts the batching task for `raft`.
    pub fn start(raft: Raft) -> Self {
        let (queue, commands) = mpsc::unbounded_channel();
        tokio::spawn(run_batches(raft, commands));
        Proposer { queue }
    }

    /// Proposes a command; answers its outcome and zxid once applied on this (leading) node.
    pub async fn propose(&self, command: Command) -> Result<(Outcome, u64), NodeError> {
        let (reply, answer) = oneshot::channel();
        self.queue.send((command, reply)).map_err(|_| NodeError::Unavailable("the node is shutting down".into()))?;
        answer.await.map_err(|_| NodeError::Unavailable("the node is shutting down".into()))?
    }
}

async fn run_batches(raft: Raft, mut commands: mpsc::UnboundedReceiver<(Command, Reply)>) {
    let slots = Arc::new(Semaphore::new(IN_FLIGHT));
    let mut batch = Vec::with_capacity(MAX_BATCH);
    loop {
        let Ok(slot) = slots.clone().acquire_owned().await else { return };
        if commands.recv_many(&mut batch, MAX_BATCH).await == 0 {
            return;
        }
        let (commands_of_batch, replies): (Vec<Command>, Vec<Reply>) = batch.drain(..).unzip();
        let raft = raft.clone();
        tokio::spawn(async move {
            let proposal = Proposal { time_ms: now_ms(), commands: commands_of_batch };
            let started = std::time::Instant::now();
            let answers = commit(&raft, proposal, replies.len()).await;
            tracing::trace!(
                message = "Committed a batch.",
                commands = replies.len(),
                micros = started.elapsed().as_micros() as u64
            );
            for (reply, answer) in replies.into_iter().zip(answers) {
                let _ = reply.send(answer);
            }
            drop(slot);
        });
    }
}

/// Writes one batch through raft; one answer per command.
async fn commit(raft: &Raft, proposal: Proposal, count: usize) -> Vec<Result<(Outcome, u64), NodeError>> {
    let failed = |error: NodeError| (0..count).map(|_| Err(error.clone())).collect();
    match tokio::time::timeout(COMMIT_TIMEOUT, raft.client_write(proposal)).await {
        Ok(Ok(response)) => {
            let zxid = response.log_id.index;
            response
                .data
                .into_iter()
                .map(|result| result.map(|outcome| (outcome, zxid)).map_err(NodeError::from))
                .collect()
        }
        // Refused before it was appended, or its entry was truncated away: not applied.
        Ok(Err(RaftError::APIError(ClientWriteError::ForwardToLeader(_)))) => failed(NodeError::NoLeader),
        Ok(Err(error)) => failed(NodeError::OutcomeUnknown(format!("write failed: {error}"))),
        Err(_) => failed(NodeError::OutcomeUnknown(format!("not committed within {COMMIT_TIMEOUT:?}"))),
    }
}
