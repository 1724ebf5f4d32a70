//! A Jepsen-style drill of the coordinator. Three real nodes, whose peer traffic runs through
//! in-test proxies (`PeerLinks`), serve five clients that read (through the leader, and plainly),
//! write and compare-and-set four keys, while a nemesis in turn kills a node with `kill -9` and
//! restarts it, pauses one (SIGSTOP, then SIGCONT), cuts one off from its peers (then heals) and
//! mutes one (its own calls to its peers stall, theirs to it go through), aiming at the leader
//! and at a follower in turn, and then crashes the whole cluster at once; each fault lasts 1 to
//! 3.5 s. After the last fault the cluster settles, the clients stop and every key is read once
//! more through the leader. Then:
//! - every key's history of consistent reads, writes and compare-and-sets is linearizable
//!   (`corral_testkit::linearizable`; a write whose answer was lost may or may not have happened,
//!   one that no server took did not), final reads included: no acknowledged write is lost;
//! - plain reads, which are only sequentially consistent, show states that some write produced
//!   (one value per version, everywhere) and never go back for the client that made them;
//! - an ephemeral node survives the whole drill while its session is kept alive (a 15 s timeout),
//!   and the ephemeral node of a session that stops heartbeating mid-drill disappears;
//! - a prefix watch over everything sees, per path, zxids that never go back, no change more often
//!   than it could have happened, and every acknowledged change (a `Reset` after the history was
//!   trimmed is reported, not failed);
//! - writes get through again once the cluster has settled.
//!
//! Every fault is made once (about 35 s; the whole test takes under a minute in a debug build),
//! and faults go on until `CORRAL_DRILL_SECONDS` (default 30) have passed; `CORRAL_DRILL_SEED`
//! replays a run's choices (the timing of a real cluster never replays exactly). A long run:
//! `CORRAL_DRILL_SECONDS=600 cargo test -p corral-tests --test coordinator_drill -- --nocapture`.

#[path = "coordinator_drill/history.rs"]
mod history;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use corral_coord_client::{
    CoordAddresses, CoordClient, CoordClientConfig, CreateMode, EventKind, SessionHandle, WatchItem, WatchSpec,
    ANY_VERSION,
};
use corral_testkit::linearizable::{RegisterInput, RegisterOutput, Versioned};
use corral_testkit::{eventually, ClusterOptions, CoordinatorCluster};
use history::{check_linearizable, check_plain_reads, check_watch, tally, Outcome, Record, Recorder, Seen};

const KEYS: usize = 4;
const CLIENTS: usize = 5;
/// The calm after the last fault, before the final reads.
const SETTLE: Duration = Duration::from_secs(3);
/// The client that makes the final reads.
const FINAL_READER: usize = 99;
/// The ephemeral nodes of the session kept alive throughout and of the one that falls silent.
const STEADY: &str = "/drill/eph/steady";
const SILENT: &str = "/drill/eph/silent";

fn key_path(key: usize) -> String {
    format!("/drill/k{key}")
}

/// splitmix64: seeded, so a run's choices replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound
    }
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok().and_then(|value| value.parse().ok())
}

/// A client of its own (connection pool, highest zxid seen) that starts at node `first`.
fn client_of(cluster: &CoordinatorCluster, first: usize, config: CoordClientConfig) -> CoordClient {
    let mut addrs = cluster.client_addrs();
    let first = first % addrs.len();
    addrs.rotate_left(first);
    CoordClient::with_config(CoordAddresses::from_entries(&addrs).unwrap(), config)
}

/// Patient enough to ride out an election, quick enough to give up on a paused node.
fn drill_config() -> CoordClientConfig {
    CoordClientConfig {
        deadline: Duration::from_secs(5),
        request_timeout: Duration::from_secs(2),
        watch_poll: Duration::from_secs(1),
        ..CoordClientConfig::default()
    }
}

async fn read(
    client: &CoordClient,
    key: usize,
    consistent: bool,
) -> Result<Versioned, corral_coord_client::CoordError> {
    let path = key_path(key);
    let znode = match consistent {
        true => client.get_consistent(&path).await?,
        false => client.get(&path).await?,
    };
    let value = znode.data.parse().unwrap_or_else(|_| panic!("{path} holds {:?}, not a number", znode.data));
    Ok(Versioned { value, version: znode.stat.version })
}

/// One drill client: its own `CoordClient` (connection pool, highest zxid seen) and its id in
/// the records.
struct Actor {
    id: usize,
    client: CoordClient,
    recorder: Arc<Recorder>,
}

impl Actor {
    /// One operation, timed and recorded.
    async fn perform(&self, key: usize, input: RegisterInput, plain: bool) -> Outcome {
        let recorder = &self.recorder;
        let invoked = recorder.now();
        let outcome = match input {
            RegisterInput::Read => {
                let result = read(&self.client, key, !plain).await;
                Outcome::of_read(recorder.now(), result)
            }
            RegisterInput::Write(value) | RegisterInput::Cas { value, .. } => {
                let version = match input {
                    RegisterInput::Cas { expected, .. } => expected,
                    _ => ANY_VERSION,
                };
                let result = self.client.set(&key_path(key), value.to_string(), version).await;
                let result =
                    result.map(|written| (written.stat.expect("a set answers its stat").version, written.zxid));
                Outcome::of_write(recorder.now(), result)
            }
        };
        recorder.record(Record { client: self.id, key, input, plain, invoked, outcome: outcome.clone() });
        outcome
    }

    /// Random operations on random keys until `stop`. A compare-and-set expects the version this
    /// client saw last.
    async fn run(self, seed: u64, stop: Arc<AtomicBool>) {
        let mut rng = Rng(seed ^ (self.id as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut last_version = [0i64; KEYS];
        let mut counter = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let key = rng.below(KEYS as u64) as usize;
            counter += 1;
            let value = (self.id as u64 + 1) * 1_000_000 + counter;
            let (input, plain) = match rng.below(100) {
                0..35 => (RegisterInput::Read, false),
                35..50 => (RegisterInput::Read, true),
                50..75 => (RegisterInput::Write(value), false),
                _ => (RegisterInput::Cas { expected: last_version[key], value }, false),
            };
            if let Outcome::Done { output, .. } = self.perform(key, input, plain).await {
                match output {
                    RegisterOutput::Read(Versioned { version, .. }) | RegisterOutput::Written { version } => {
                        last_version[key] = version;
                    }
                    RegisterOutput::BadVersion => {}
                }
            }
        }
    }
}

/// Follows every change under `/drill` until it sees `/drill/end` created.
async fn watch_everything(client: CoordClient, since: u64, seen: Arc<Mutex<Vec<Seen>>>) {
    let mut stream = client.watch(WatchSpec::prefix("/drill"), since);
    loop {
        let from = stream.since();
        match stream.next().await {
            Ok(WatchItem::Event(event)) => {
                let end = event.path == "/drill/end" && event.kind == EventKind::Created;
                seen.lock().unwrap().push(Seen::Event(event));
                if end {
                    return;
                }
            }
            Ok(WatchItem::Reset { zxid }) => seen.lock().unwrap().push(Seen::Reset { from, to: zxid }),
            // Nothing is lost: the next call resumes from the same point.
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// A fault of the nemesis.
#[derive(Debug, Clone, Copy)]
enum Fault {
    Kill,
    Pause,
    Partition,
    /// The node's own calls to its peers stall; theirs to it go through (answers included).
    Mute,
    /// `kill -9` of every node at once, then all restart.
    CrashAll,
}

/// Each kind of fault at the leader and at a follower, then the whole cluster crashes.
const FAULTS: [(Fault, bool); 9] = [
    (Fault::Kill, true),
    (Fault::Pause, false),
    (Fault::Partition, true),
    (Fault::Mute, false),
    (Fault::Kill, false),
    (Fault::Pause, true),
    (Fault::Partition, false),
    (Fault::Mute, true),
    (Fault::CrashAll, false),
];

/// Faults in the order of [`FAULTS`], all of them at least once and then on until `until`, each
/// lasting a random while and healed with every node back in the cluster before a random calm and
/// the next. How many it made.
async fn nemesis(cluster: &mut CoordinatorCluster, recorder: &Recorder, rng: &mut Rng, until: Instant) -> usize {
    let mut round = 0;
    while round < FAULTS.len() || Instant::now() < until {
        tokio::time::sleep(Duration::from_millis(500 + rng.below(1500))).await;
        let lasting = Duration::from_millis(1000 + rng.below(2500));
        let leader = cluster.leader().await;
        let (fault, at_leader) = FAULTS[round % FAULTS.len()];
        let target = match at_leader {
            true => leader,
            false => (leader + 1 + rng.below(2) as usize) % cluster.nodes.len(),
        };
        let name = format!("node {} ({})", cluster.nodes[target].id, if at_leader { "leader" } else { "follower" });
        let for_ms = lasting.as_millis();
        match fault {
            Fault::Kill => {
                recorder.fault(format!("kill -9 {name} for {for_ms} ms"));
                cluster.kill(target);
                tokio::time::sleep(lasting).await;
                recorder.fault(format!("restart {name}"));
                cluster.restart(target);
            }
            Fault::Pause => {
                recorder.fault(format!("pause {name} for {for_ms} ms"));
                cluster.pause(target);
                tokio::time::sleep(lasting).await;
                recorder.fault(format!("resume {name}"));
                cluster.resume(target);
            }
            Fault::Partition => {
                recorder.fault(format!("partition {name} from its peers for {for_ms} ms"));
                cluster.links().isolate(target);
                tokio::time::sleep(lasting).await;
                recorder.fault(format!("heal {name}"));
                cluster.links().heal();
            }
            Fault::Mute => {
                recorder.fault(format!("mute {name} (its calls to its peers stall) for {for_ms} ms"));
                for peer in (0..cluster.nodes.len()).filter(|peer| *peer != target) {
                    cluster.links().cut(target, peer);
                }
                tokio::time::sleep(lasting).await;
                recorder.fault(format!("unmute {name}"));
                cluster.links().heal();
            }
            Fault::CrashAll => {
                recorder.fault(format!("kill -9 every node for {for_ms} ms"));
                for index in 0..cluster.nodes.len() {
                    cluster.kill(index);
                }
                tokio::time::sleep(lasting).await;
                recorder.fault("restart every node".into());
                for index in 0..cluster.nodes.len() {
                    cluster.restart(index);
                }
            }
        }
        for index in 0..cluster.nodes.len() {
            cluster.wait_until_synced(index).await;
        }
        round += 1;
    }
    round
}

/// Opens a session of `timeout_s` seconds that keeps itself alive, with an ephemeral node at `path`.
async fn session_with_ephemeral(client: CoordClient, path: &str, timeout_s: u64) -> SessionHandle {
    let session = client.create_session(Duration::from_secs(timeout_s)).await.unwrap();
    client.create(path, "", CreateMode::Ephemeral, Some(session.id())).await.unwrap();
    session
}

/// The steady session lived through it all and still owns its node; the silent one's node is gone.
async fn check_sessions(admin: &CoordClient, steady: &SessionHandle) -> Vec<String> {
    let mut problems = Vec::new();
    if !steady.is_alive() {
        problems.push(format!("the steady session {} was lost", steady.id()));
    }
    match admin.get_consistent(STEADY).await {
        Ok(znode) if znode.stat.ephemeral_owner == steady.id() => {}
        other => problems.push(format!("the steady session's ephemeral node: {other:?}")),
    }
    eventually("the silent session's ephemeral node to disappear", Duration::from_secs(20), || async {
        admin.get_consistent(SILENT).await.err().filter(|error| error.is_no_node()).map(|_| ())
    })
    .await;
    problems
}

/// The watch never saw the steady session's node deleted, and the silent one's deleted once (or
/// not at all if a reset skipped it).
fn check_ephemeral_events(seen: &[Seen]) -> Vec<String> {
    let deletes = |path: &str| {
        seen.iter()
            .filter(|item| matches!(item, Seen::Event(event) if event.path == path && event.kind == EventKind::Deleted))
            .count()
    };
    let reset = seen.iter().any(|item| matches!(item, Seen::Reset { .. }));
    let mut problems = Vec::new();
    if deletes(STEADY) > 0 {
        problems.push("the watch saw the steady session's ephemeral node deleted".into());
    }
    let silent = deletes(SILENT);
    if silent > 1 || (silent == 0 && !reset) {
        problems.push(format!("the watch saw the silent session's ephemeral node deleted {silent} times"));
    }
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_coordinator_stays_linearizable_through_kills_pauses_and_partitions() {
    let seconds = env_u64("CORRAL_DRILL_SECONDS").unwrap_or(30);
    let seed = env_u64("CORRAL_DRILL_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos() as u64
    });
    println!("drill: every fault, then faults until {seconds} s; seed {seed} (CORRAL_DRILL_SEED={seed} replays it)");
    let test_started = Instant::now();
    // Snapshots every 500 entries, so restarted nodes load one; the logs behind them reach back
    // far enough that no node needs the leader's snapshot (see `PeerLinks`).
    let options = ClusterOptions { peer_links: true, snapshot_every: 500, ..ClusterOptions::default() };
    let mut cluster = CoordinatorCluster::start(options).await;
    let recorder = Arc::new(Recorder::new());
    let mut rng = Rng(seed);

    let admin = client_of(&cluster, 0, drill_config());
    admin.create("/drill", "", CreateMode::Persistent, None).await.unwrap();
    admin.create("/drill/eph", "", CreateMode::Persistent, None).await.unwrap();
    let mut since = 0;
    for key in 0..KEYS {
        since = admin.create(&key_path(key), "0", CreateMode::Persistent, None).await.unwrap().zxid;
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let watcher = tokio::spawn(watch_everything(client_of(&cluster, 1, drill_config()), since, seen.clone()));

    let steady = session_with_ephemeral(client_of(&cluster, 2, drill_config()), STEADY, 15).await;
    let silent = session_with_ephemeral(client_of(&cluster, 0, drill_config()), SILENT, 2).await;

    let stop = Arc::new(AtomicBool::new(false));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|id| {
            let actor = Actor { id, client: client_of(&cluster, id, drill_config()), recorder: recorder.clone() };
            tokio::spawn(actor.run(seed, stop.clone()))
        })
        .collect();

    // The silent session stops heartbeating part-way through the faults.
    let faults_until = Instant::now() + Duration::from_secs(seconds);
    let silence = tokio::spawn({
        let recorder = recorder.clone();
        async move {
            tokio::time::sleep(Duration::from_secs(seconds * 2 / 5)).await;
            recorder.fault(format!("session {} stops heartbeating", silent.id()));
            drop(silent);
        }
    });
    let rounds = nemesis(&mut cluster, &recorder, &mut rng, faults_until).await;
    silence.await.unwrap();

    // Calm: every node is back; the clients keep going and must get writes through.
    let settle_from = recorder.now();
    tokio::time::sleep(SETTLE).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.unwrap();
    }
    let settled_writes = recorder
        .records
        .lock()
        .unwrap()
        .iter()
        .filter(|record| record.invoked >= settle_from && record.input != RegisterInput::Read)
        .filter(|record| matches!(record.outcome, Outcome::Done { output: RegisterOutput::Written { .. }, .. }))
        .count();

    // The final word on every key, through the leader.
    let final_reader =
        Actor { id: FINAL_READER, client: client_of(&cluster, 0, drill_config()), recorder: recorder.clone() };
    for key in 0..KEYS {
        eventually("a final read", Duration::from_secs(20), || async {
            let outcome = final_reader.perform(key, RegisterInput::Read, false).await;
            matches!(outcome, Outcome::Done { .. }).then_some(())
        })
        .await;
    }

    let mut problems = check_sessions(&admin, &steady).await;

    // The watch sees everything up to the end marker.
    admin.create("/drill/end", "", CreateMode::Persistent, None).await.unwrap();
    tokio::time::timeout(Duration::from_secs(30), watcher).await.expect("the watch to reach /drill/end").unwrap();
    let seen = seen.lock().unwrap().clone();

    let records = recorder.records.lock().unwrap().clone();
    let faults = recorder.faults.lock().unwrap().clone();
    let checked_at = Instant::now();
    let (linearizability, records) = tokio::task::spawn_blocking(move || {
        let problems = check_linearizable(&records, KEYS, &faults);
        (problems, records)
    })
    .await
    .unwrap();
    let check_time = checked_at.elapsed();
    problems.extend(linearizability);
    problems.extend(check_plain_reads(&records));
    let watch = check_watch(&seen, &records, key_path);
    problems.extend(watch.problems.clone());
    problems.extend(check_ephemeral_events(&seen));
    if settled_writes == 0 {
        problems.push("no write got through once the cluster had settled".into());
    }

    let unknown = records.iter().filter(|record| matches!(record.outcome, Outcome::Unknown(_))).count();
    println!(
        "drill summary: {} operations ({unknown} indeterminate) by {CLIENTS} clients on {KEYS} keys, {rounds} faults, \
         {settled_writes} writes acknowledged while settling{}",
        records.len(),
        tally(&records)
    );
    println!(
        "  watch: {} events, {} acknowledged changes, {} resets {:?} skipping {} of them",
        watch.events,
        watch.acknowledged,
        watch.resets.len(),
        watch.resets,
        watch.skipped_by_resets
    );
    println!("  linearizability checked in {check_time:?}; whole test {:?}", test_started.elapsed());
    let unexpected: Vec<_> = records
        .iter()
        .filter_map(|record| match &record.outcome {
            Outcome::Unknown(reason) if !reason.contains("may or may not") => Some(reason.as_str()),
            _ => None,
        })
        .collect();
    if !unexpected.is_empty() {
        println!("  answers of unknown meaning, counted as indeterminate: {unexpected:#?}");
    }
    assert!(problems.is_empty(), "the drill found {} problem(s):\n{}", problems.len(), problems.join("\n"));
}
