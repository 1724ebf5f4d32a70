//! Every service against requests made from its own OpenAPI document. For each documented
//! operation, [`REQUESTS_PER_OPERATION`] requests come from `corral_testkit::OpenApi` (hostile path
//! parameters, query and header parameters of the wrong type, unknown parameters, and bodies that
//! are extreme, mistyped, random, not JSON, oversized or nested too deep) and go to real processes
//! whose leaders are already elected, so that no 503 or redirect is legitimate. Every answer must
//! be below 500, every 4xx must be JSON with a non-empty `message`, and the service must still
//! answer `GET /health` with 200 after each operation. Failures are collected and reported
//! together with the seed; `CORRAL_FUZZ_SEED=<seed>` replays a run.
//!
//! Left out on purpose: `DELETE /v2/leader`, after which Marathon abdicates and every answer is
//! about an election. The coordinator's peer port is fuzzed on the leader (a follower answers 503
//! by design), but `/internal/join` only gets bodies that cannot be read: a well-formed one adds a
//! learner at a made-up address to the raft membership. Raft RPC bodies are openraft's types,
//! which generated JSON does not fit, and forwarded writes are checked like any write.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use corral_testkit::{
    patience, ClusterOptions, CoordinatorCluster, FuzzRequest, LbProcess, MarathonCluster, MarathonClusterOptions,
    MesosClusterOptions, OpenApi,
};
use reqwest::Method;
use serde_json::{json, Value};

const REQUESTS_PER_OPERATION: usize = 64;

/// The seed of CI's runs; `CORRAL_FUZZ_SEED` picks another.
const DEFAULT_SEED: u64 = 20_261_201;

/// How long an ordinary request may take to answer.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// How long a long poll is given before it counts as waiting, as it should.
const LONG_POLL_WAIT: Duration = Duration::from_secs(1);

/// How long the body of an answer may take once its head has come.
const BODY_WAIT: Duration = Duration::from_secs(3);

/// Bodies larger than this may be refused before they are read whole (axum's default limit is
/// 2 MiB).
const EARLY_REFUSAL_SIZE: usize = 1_000_000;

/// One service's API and how its operations are treated; operations are named `METHOD /template`.
struct Service<'a> {
    spec: &'static str,
    /// `http://host:port` of each node; requests take them in turn.
    bases: Vec<String>,
    /// URLs that answer 200 while the service is healthy, one for each node.
    health: Vec<String>,
    /// Operations not fuzzed at all.
    skipped: &'a [&'a str],
    /// Operations that get only bodies which cannot be read.
    unreadable_bodies_only: &'a [&'a str],
    /// Long polls and streams: no answer within [`LONG_POLL_WAIT`], or a 2xx body that does not
    /// end, is what they do.
    long_polls: &'a [&'a str],
}

/// A request whose answer broke a rule.
struct Failure {
    operation: String,
    problem: String,
    /// The request as sent, with the base URL.
    request: String,
    answer: String,
}

struct Fuzz {
    http: reqwest::Client,
    seed: u64,
    sent: usize,
    /// How often each status was answered, by document: what the run reached.
    statuses: BTreeMap<&'static str, BTreeMap<u16, usize>>,
    failures: Vec<Failure>,
}

impl Fuzz {
    fn new() -> Fuzz {
        let seed = std::env::var("CORRAL_FUZZ_SEED").ok().map_or(DEFAULT_SEED, |seed| {
            seed.parse().unwrap_or_else(|_| panic!("CORRAL_FUZZ_SEED must be a number, not {seed:?}"))
        });
        // No redirects followed and no connection reused: each request is seen and answered alone.
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(0)
            .build()
            .expect("http client");
        Fuzz { http, seed, sent: 0, statuses: BTreeMap::new(), failures: Vec::new() }
    }

    /// Sends every operation's requests; stops at the first operation after which the service is
    /// not healthy, since later answers would say nothing.
    async fn run(&mut self, service: &Service<'_>) {
        let document = OpenApi::load(service.spec);
        let operations = document.operations();
        let named: Vec<String> = operations.iter().map(ToString::to_string).collect();
        for listed in [service.skipped, service.unreadable_bodies_only, service.long_polls].concat() {
            assert!(named.iter().any(|name| name == listed), "{listed} is not an operation of {}", service.spec);
        }
        for operation in operations {
            let name = operation.to_string();
            if service.skipped.contains(&name.as_str()) {
                continue;
            }
            let long_poll = service.long_polls.contains(&name.as_str());
            let unreadable_only = service.unreadable_bodies_only.contains(&name.as_str());
            let requests = document.requests(&operation, self.seed, REQUESTS_PER_OPERATION);
            for (index, request) in requests.iter().enumerate() {
                if unreadable_only && !request.body.as_ref().is_some_and(|(kind, _)| kind.is_unreadable()) {
                    continue;
                }
                let base = &service.bases[index % service.bases.len()];
                if let Some(status) = self.send(base, request, long_poll).await {
                    *self.statuses.entry(service.spec).or_default().entry(status).or_default() += 1;
                }
            }
            if let Err(seen) = self.healthy(service).await {
                self.failures.push(Failure {
                    operation: name,
                    problem: format!("{} not healthy afterwards; its other operations were not sent", service.spec),
                    request: String::new(),
                    answer: seen,
                });
                return;
            }
        }
    }

    /// Sends one request and checks its answer; the status, if one came.
    async fn send(&mut self, base: &str, request: &FuzzRequest, long_poll: bool) -> Option<u16> {
        self.sent += 1;
        let url = format!("{base}{}", request.target);
        let mut builder = self.http.request(request.method.clone(), &url);
        for (name, value) in &request.headers {
            builder = builder.header(name, value);
        }
        if let Some((_, body)) = &request.body {
            builder = builder.body(body.clone());
        }
        let mut shown = shorten(&format!("{base} {request}"));
        // The URL parser resolves `.` and `..` segments and encodes raw unicode.
        let sent = reqwest::Url::parse(&url).map_or(url.clone(), String::from);
        if sent != url {
            shown.push_str(&format!("\n    sent as {}", shorten(&sent)));
        }
        let body_len = request.body.as_ref().map_or(0, |(_, body)| body.len());
        let mut fail = |problem: &str, answer: String| {
            self.failures.push(Failure {
                operation: request.operation.clone(),
                problem: problem.to_string(),
                request: shown.clone(),
                answer,
            })
        };
        let wait = if long_poll { LONG_POLL_WAIT } else { patience(ANSWER_WAIT) };
        let response = match tokio::time::timeout(wait, builder.send()).await {
            Err(_) if long_poll => return None,
            Err(_) => {
                fail("no answer in time", format!("nothing within {wait:?}"));
                return None;
            }
            // A server may answer a body over its limit and close before reading it all; whether
            // it stayed up is checked after the operation.
            Ok(Err(error)) if body_len > EARLY_REFUSAL_SIZE && error_chain(&error).contains("writing a body") => {
                return None
            }
            Ok(Err(error)) => {
                fail("no answer (a panic or a dropped connection)", error_chain(&error));
                return None;
            }
            Ok(Ok(response)) => response,
        };
        let status = response.status().as_u16();
        let body = match tokio::time::timeout(patience(BODY_WAIT), response.bytes()).await {
            Err(_) if long_poll && (200..300).contains(&status) => return Some(status),
            Err(_) => {
                fail("an answer whose body never ends", format!("{status}"));
                return Some(status);
            }
            Ok(Err(error)) => {
                fail("an answer whose body broke off", format!("{status}: {}", error_chain(&error)));
                return Some(status);
            }
            Ok(Ok(body)) => body,
        };
        let text = String::from_utf8_lossy(&body[..body.len().min(500)]).to_string();
        if status >= 500 {
            fail(&format!("a {status}"), format!("{status} {text:?}"));
        } else if status >= 400 {
            let message = serde_json::from_slice::<Value>(&body)
                .ok()
                .and_then(|answer| answer["message"].as_str().map(str::to_string));
            if message.is_none_or(|message| message.trim().is_empty()) {
                fail(&format!("a {status} without a JSON message"), format!("{status} {text:?}"));
            }
        }
        Some(status)
    }

    /// `Ok` if every node of `service` answers its health URL with 200; what one answered otherwise.
    async fn healthy(&self, service: &Service<'_>) -> Result<(), String> {
        for url in &service.health {
            let answer = tokio::time::timeout(patience(ANSWER_WAIT), self.http.get(url).send()).await;
            match answer {
                Ok(Ok(response)) if response.status() == 200 => {}
                Ok(Ok(response)) => {
                    let status = response.status();
                    return Err(format!("GET {url}: {status} {}", response.text().await.unwrap_or_default()));
                }
                Ok(Err(error)) => return Err(format!("GET {url}: {}", error_chain(&error))),
                Err(_) => return Err(format!("GET {url}: no answer in time")),
            }
        }
        Ok(())
    }

    /// Fails the test with every failure, grouped by operation and problem (three examples each).
    fn assert_passed(&self, started: Instant) {
        let seed = self.seed;
        println!("{} requests in {:.1} s, seed {seed}", self.sent, started.elapsed().as_secs_f64());
        for (spec, statuses) in &self.statuses {
            println!("  {spec}: {statuses:?}");
        }
        if self.failures.is_empty() {
            return;
        }
        let mut groups: BTreeMap<(&str, &str), Vec<&Failure>> = BTreeMap::new();
        for failure in &self.failures {
            groups.entry((&failure.operation, &failure.problem)).or_default().push(failure);
        }
        let mut report = format!(
            "{} of {} requests failed (seed {seed}; replay with CORRAL_FUZZ_SEED={seed}):\n",
            self.failures.len(),
            self.sent
        );
        for ((operation, problem), failures) in groups {
            report.push_str(&format!("\n== {operation}: {problem} ({} requests), e.g.\n", failures.len()));
            for failure in failures.iter().take(3) {
                report.push_str(&format!("  {}\n    -> {}\n", failure.request, failure.answer));
            }
        }
        panic!("{report}");
    }
}

/// `text`, its lines cut at 300 characters (the seed replays the whole request).
fn shorten(text: &str) -> String {
    let lines = text.lines().map(|line| match line.char_indices().nth(300) {
        Some((cut, _)) => format!("{}… ({} bytes)", &line[..cut], line.len()),
        None => line.to_string(),
    });
    lines.collect::<Vec<_>>().join("\n")
}

/// An error and its sources, `outer: inner: innermost`.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[tokio::test(flavor = "multi_thread")]
async fn the_coordinators_client_and_peer_apis_answer_every_generated_request_sensibly() {
    let started = Instant::now();
    // One voter never loses its leadership; the observer forwards writes and linearizable reads
    // to it through the peer port.
    let cluster =
        CoordinatorCluster::start(ClusterOptions { participants: 1, observers: 1, ..Default::default() }).await;
    let leader = &cluster.nodes[cluster.leader().await];
    let mut fuzz = Fuzz::new();
    for (path, body) in [("a", r#"{"data": "x"}"#), ("a/b", "{}")] {
        let url = format!("http://{}/v1/znodes/{path}", leader.client);
        let answer = fuzz.http.post(url).header("content-type", "application/json").body(body).send().await;
        assert_eq!(answer.map(|answer| answer.status().as_u16()).ok(), Some(201), "create /{path}");
    }
    let health: Vec<String> = cluster.nodes.iter().map(|node| format!("http://{}/health", node.client)).collect();
    let client = Service {
        spec: "coordinator.yaml",
        bases: cluster.nodes.iter().map(|node| format!("http://{}", node.client)).collect(),
        health: health.clone(),
        skipped: &[],
        unreadable_bodies_only: &[],
        long_polls: &["POST /v1/watch"],
    };
    fuzz.run(&client).await;
    let peer = Service {
        spec: "coordinator-peer.yaml",
        bases: vec![format!("http://{}", leader.peer)],
        health,
        skipped: &[],
        unreadable_bodies_only: &["POST /internal/join"],
        long_polls: &[],
    };
    fuzz.run(&peer).await;
    for index in 0..cluster.nodes.len() {
        let status = cluster.status(index).await.map(|status| status.mode);
        assert!(matches!(status.as_deref(), Some("leader" | "observer")), "node {index} is {status:?} after the fuzz");
    }
    fuzz.assert_passed(started);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_master_marathon_and_lb_answer_every_generated_request_sensibly() {
    let started = Instant::now();
    let mesos = MesosClusterOptions { agents: 1, ..MesosClusterOptions::default() };
    let cluster = MarathonCluster::start(MarathonClusterOptions { mesos, ..MarathonClusterOptions::default() }).await;
    let lb = LbProcess::start(&cluster, &[]).await;
    // Something for ordinary ids to find.
    let app = json!({"id": "/web", "cmd": "sleep 1000", "cpus": 0.1, "mem": 16, "instances": 1});
    let (status, _, body) = cluster.post_app(&app).await;
    assert_eq!(status, 201, "{body}");

    let agent = format!("http://{}", cluster.mesos.agents[0].addr);
    let master = format!("http://{}", cluster.mesos.leading_master().await);
    let marathon = cluster.leader_url().await;
    let lb_api = format!("http://{}", lb.api);
    let services = [
        Service {
            spec: "agent.yaml",
            bases: vec![agent.clone()],
            health: vec![format!("{agent}/health")],
            skipped: &[],
            unreadable_bodies_only: &[],
            long_polls: &[],
        },
        Service {
            spec: "master.yaml",
            bases: vec![master.clone()],
            health: vec![format!("{master}/health")],
            skipped: &[],
            unreadable_bodies_only: &[],
            long_polls: &[
                "POST /api/v1/scheduler",
                "POST /master/api/v1/scheduler",
                "GET /api/agent/v1/agents/{agent_id}/commands",
            ],
        },
        Service {
            spec: "marathon.yaml",
            bases: vec![marathon.clone()],
            health: vec![format!("{marathon}/health")],
            skipped: &["DELETE /v2/leader"],
            unreadable_bodies_only: &[],
            long_polls: &["GET /v2/events"],
        },
        Service {
            spec: "lb.yaml",
            bases: vec![lb_api.clone()],
            health: vec![format!("{lb_api}/health")],
            skipped: &[],
            unreadable_bodies_only: &[],
            long_polls: &[],
        },
    ];
    let mut fuzz = Fuzz::new();
    for service in &services {
        fuzz.run(service).await;
    }
    // Marathon's changes reach the agent and the lb after the fact: all must still be up.
    for service in &services {
        if let Err(seen) = fuzz.healthy(service).await {
            panic!("{} is not healthy after the whole fuzz: {seen}\n{}", service.spec, cluster.log_tails());
        }
    }
    let (status, _, _) = cluster.call(Method::GET, "/v2/apps", None).await;
    assert_eq!(status, 200, "{}", cluster.log_tails());
    fuzz.assert_passed(started);
}
