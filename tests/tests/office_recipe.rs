//! `hold_office` against a real coordinator: a leader that stops on purpose, or fails to take
//! office, closes its session so the next contender leads at once (well within the session
//! timeout); a standby that stops leaves the line at once; a lost session ends the term with
//! `SessionLost`.

use std::time::{Duration, Instant};

use corral_coord_client::{hold_office, Candidacy, CoordClient, CoordError, SessionLost};
use corral_testkit::{ClusterOptions, CoordinatorCluster};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

const DIR: &str = "/office/leader";

/// How a contender's term ended, when it did not stop on purpose.
#[derive(Debug, PartialEq)]
enum TermError {
    Coordinator(String),
    SessionLost,
    TakingOffice(&'static str),
}

impl From<CoordError> for TermError {
    fn from(error: CoordError) -> Self {
        TermError::Coordinator(error.to_string())
    }
}

impl From<SessionLost> for TermError {
    fn from(_: SessionLost) -> Self {
        TermError::SessionLost
    }
}

/// A contender run as a task: it sends its name on `offices` when it takes office, and its term
/// ends with its name when `stop` is sent.
struct Contender {
    stop: oneshot::Sender<()>,
    term: JoinHandle<Result<&'static str, TermError>>,
}

struct Contest {
    client: CoordClient,
    session_timeout: Duration,
    offices: mpsc::UnboundedSender<&'static str>,
}

impl Contest {
    fn enter(&self, name: &'static str, take_office: Result<(), TermError>) -> Contender {
        let candidacy = Candidacy {
            dir: DIR.to_string(),
            node_prefix: "n_".to_string(),
            data: name.to_string(),
            session_timeout: self.session_timeout,
        };
        let (client, offices) = (self.client.clone(), self.offices.clone());
        let (stop, stopped) = oneshot::channel::<()>();
        let term = tokio::spawn(async move {
            let take_office = async move {
                offices.send(name).unwrap();
                take_office
            };
            let stop = async move {
                let _ = stopped.await;
                name
            };
            hold_office(&client, candidacy, take_office, stop).await
        });
        Contender { stop, term }
    }

    async fn line(&self) -> usize {
        self.client.children(DIR).await.map_or(0, |children| children.children.len())
    }
}

async fn start(session_timeout: Duration) -> (CoordinatorCluster, Contest, mpsc::UnboundedReceiver<&'static str>) {
    let cluster = CoordinatorCluster::start(ClusterOptions { participants: 1, ..ClusterOptions::default() }).await;
    let client = CoordClient::new(cluster.servers().parse().unwrap());
    let (offices, elected) = mpsc::unbounded_channel();
    (cluster, Contest { client, session_timeout, offices }, elected)
}

async fn next_in_office(elected: &mut mpsc::UnboundedReceiver<&'static str>) -> &'static str {
    tokio::time::timeout(Duration::from_secs(20), elected.recv()).await.expect("someone takes office").unwrap()
}

async fn wait_for_line(contest: &Contest, length: usize) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while contest.line().await != length {
        assert!(Instant::now() < deadline, "the line never had {length} contenders");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn stopping_on_purpose_closes_the_session_so_the_next_contender_leads_at_once() {
    const SESSION_TIMEOUT: Duration = Duration::from_secs(6);
    let (_cluster, contest, mut elected) = start(SESSION_TIMEOUT).await;
    let a = contest.enter("a", Ok(()));
    assert_eq!(next_in_office(&mut elected).await, "a");
    let b = contest.enter("b", Ok(()));
    let c = contest.enter("c", Ok(()));
    wait_for_line(&contest, 3).await;

    // A standby that stops leaves the line at once.
    c.stop.send(()).unwrap();
    assert_eq!(c.term.await.unwrap(), Ok("c"));
    assert_eq!(contest.line().await, 2, "the stopped standby's node is gone");

    let stopped_at = Instant::now();
    a.stop.send(()).unwrap();
    assert_eq!(a.term.await.unwrap(), Ok("a"));
    assert_eq!(next_in_office(&mut elected).await, "b");
    let took = stopped_at.elapsed();
    println!("b took office {:.3} s after a stopped", took.as_secs_f64());
    assert!(took < SESSION_TIMEOUT / 6, "b took {took:?} to take office: a kept its session");

    b.stop.send(()).unwrap();
    assert_eq!(b.term.await.unwrap(), Ok("b"));
    assert_eq!(contest.line().await, 0, "every session is closed");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failure_to_take_office_ends_the_term_and_hands_over_at_once() {
    const SESSION_TIMEOUT: Duration = Duration::from_secs(6);
    let (_cluster, contest, mut elected) = start(SESSION_TIMEOUT).await;
    let a = contest.enter("a", Err(TermError::TakingOffice("a")));
    assert_eq!(next_in_office(&mut elected).await, "a");
    let failed_at = Instant::now();
    assert_eq!(a.term.await.unwrap(), Err(TermError::TakingOffice("a")));
    drop(a.stop);

    let b = contest.enter("b", Ok(()));
    assert_eq!(next_in_office(&mut elected).await, "b");
    let took = failed_at.elapsed();
    println!("b took office {:.3} s after a failed to", took.as_secs_f64());
    assert!(took < SESSION_TIMEOUT / 6, "b took {took:?} to take office: a kept its session");
    b.stop.send(()).unwrap();
    assert_eq!(b.term.await.unwrap(), Ok("b"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lost_session_ends_the_term_with_session_lost() {
    const SESSION_TIMEOUT: Duration = Duration::from_secs(1);
    let (mut cluster, contest, mut elected) = start(SESSION_TIMEOUT).await;
    let a = contest.enter("a", Ok(()));
    assert_eq!(next_in_office(&mut elected).await, "a");

    let cut_off_at = Instant::now();
    cluster.kill(0);
    let ended = tokio::time::timeout(Duration::from_secs(10), a.term).await.expect("the term ends");
    let took = cut_off_at.elapsed();
    println!("the term ended {:.3} s after the coordinator went away", took.as_secs_f64());
    assert_eq!(ended.unwrap(), Err(TermError::SessionLost));
    assert!(took <= SESSION_TIMEOUT * 2, "the term outlived its session by far: {took:?}");
    drop(a.stop);
}
