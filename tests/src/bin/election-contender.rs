//! A contender in the leader-election recipe, run as its own process by the tests: it contends
//! under a directory and, while it leads, appends `ID MILLIS` to a file every 20 ms. It stops
//! acting as leader the moment its session is lost.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use clap::Parser;
use corral_coord_client::{CoordAddresses, CoordClient, LeaderElection};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    server: String,
    #[arg(long)]
    id: String,
    #[arg(long, default_value = "/election")]
    dir: String,
    /// The file to append leadership ticks to.
    #[arg(long)]
    ticks: std::path::PathBuf,
    #[arg(long, default_value_t = 1500)]
    session_timeout_ms: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let client = CoordClient::new(CoordAddresses::parse(&args.server)?);
    let session = client.create_session(Duration::from_millis(args.session_timeout_ms)).await?;
    let mut election = LeaderElection::contend(&client, &session, &args.dir, args.id.clone()).await?;
    tokio::select! {
        won = election.wait_for_leadership() => won?,
        _ = session.lost() => anyhow::bail!("session lost before leading"),
    }
    let mut ticks = std::fs::OpenOptions::new().create(true).append(true).open(&args.ticks)?;
    loop {
        tokio::select! {
            _ = session.lost() => anyhow::bail!("session lost: stepping down"),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {
                let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_millis();
                writeln!(ticks, "{} {now}", args.id)?;
            }
        }
    }
}
