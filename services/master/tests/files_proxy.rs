//! The master's `/agents/{id}/files/browse` and `/files/read` reach a real `corral-agent`'s
//! sandbox files: listings, reads from a growing offset (a tail), the agent's own refusals passed
//! on, JSON errors for an unknown agent (404) and an unreachable one (502), and the caller's
//! token, not the master's, presented to the agent.

use std::path::Path;
use std::time::Duration;

use corral_kit::auth::{unix_seconds, Issuer, Role};
use corral_testkit::{
    binary, eventually, free_port, ChildProcess, ClusterOptions, CoordinatorCluster, MesosCluster, MesosClusterOptions,
};
use reqwest::StatusCode;
use serde_json::Value;

/// A sandbox as the agent lays it out: `<work-dir>/sandboxes/<framework>/<task>/<run>/`.
const RUN_DIR: &str = "framework-1/task-1/run-1";

fn write_sandbox(work_dir: &Path, stdout: &str) {
    let run = work_dir.join("sandboxes").join(RUN_DIR);
    std::fs::create_dir_all(&run).unwrap();
    std::fs::write(run.join("stdout"), stdout).unwrap();
    std::fs::write(run.join("stderr"), "").unwrap();
}

async fn get(http: &reqwest::Client, url: &str) -> (StatusCode, Value) {
    let answer = http.get(url).send().await.unwrap_or_else(|error| panic!("GET {url}: {error}"));
    let status = answer.status();
    let text = answer.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or_else(|_| panic!("GET {url}: not JSON: {text}")))
}

#[tokio::test(flavor = "multi_thread")]
async fn sandbox_files_are_listed_and_tailed_through_the_master() {
    let mut cluster = MesosCluster::start(MesosClusterOptions { agents: 1, ..Default::default() }).await;
    write_sandbox(&cluster.agents[0].work_dir, "first line\n");
    let state = cluster.state().await;
    let agent_id = state["slaves"][0]["id"].as_str().unwrap().to_string();
    let master = cluster.leading_master().await;
    let http = reqwest::Client::new();
    let files = |action: &str, query: &str| format!("http://{master}/agents/{agent_id}/files/{action}?{query}");

    let (status, listing) = get(&http, &files("browse", &format!("path={RUN_DIR}"))).await;
    assert_eq!(status, StatusCode::OK, "{listing}");
    let names: Vec<&str> = listing.as_array().unwrap().iter().map(|entry| entry["path"].as_str().unwrap()).collect();
    assert!(names[0].ends_with("/run-1/stderr") && names[1].ends_with("/run-1/stdout"), "{names:?}");
    assert_eq!(listing[1]["size"], 11);
    assert!(listing[1]["mode"].as_str().unwrap().starts_with("-rw"), "{listing}");

    // A tail: the size first, then reads from the offset as the file grows.
    let stdout = format!("path={RUN_DIR}/stdout");
    let (status, size) = get(&http, &files("read", &format!("{stdout}&offset=-1"))).await;
    assert_eq!((status, size["offset"].as_u64()), (StatusCode::OK, Some(11)), "{size}");
    let (_, chunk) = get(&http, &files("read", &format!("{stdout}&offset=6&length=4"))).await;
    assert_eq!((chunk["data"].as_str(), chunk["offset"].as_u64()), (Some("line"), Some(6)));
    let run = cluster.agents[0].work_dir.join("sandboxes").join(RUN_DIR);
    std::fs::write(run.join("stdout"), "first line\nsecond line\n").unwrap();
    let (_, chunk) = get(&http, &files("read", &format!("{stdout}&offset=11&length=65536"))).await;
    assert_eq!(chunk["data"], "second line\n");

    // The agent's refusals come back as it gave them.
    let (status, body) = get(&http, &files("read", "path=../agent.db")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["message"].as_str().unwrap().contains("outside"), "{body}");
    let (status, body) = get(&http, &files("read", &format!("path={RUN_DIR}"))).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "a directory cannot be read: {body}");

    let (status, body) = get(&http, &format!("http://{master}/agents/no-such-agent/files/browse?path=x")).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::NOT_FOUND, Some("unknown_agent")), "{body}");

    // An agent that stopped answering is still registered for a while: 502 naming it.
    cluster.agents[0].process.kill();
    let (status, body) = get(&http, &files("browse", &format!("path={RUN_DIR}"))).await;
    assert_eq!((status, body["code"].as_str()), (StatusCode::BAD_GATEWAY, Some("agent_unreachable")), "{body}");
    assert!(body["message"].as_str().unwrap().contains(&agent_id), "{body}");
}

/// The master checks tokens against one secret, the agent against another. A caller whose token
/// the master accepts is refused by the agent (its token went along), although the master's own
/// token, which the agent would accept, was at hand.
#[tokio::test(flavor = "multi_thread")]
async fn the_callers_token_is_what_the_agent_sees() {
    let dir = tempfile::tempdir().unwrap();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.display().to_string()
    };
    let (master_secret, agent_secret) = (
        file("master.secret", "master-secret-0123456789abcdef"),
        file("agent.secret", "agent-secret-0123456789abcdef"),
    );
    let issue = |secret: &str, role: Role| {
        let issuer = Issuer::from_secret_file(Path::new(secret)).unwrap();
        issuer.issue("test", &[role], unix_seconds(), Duration::from_secs(3600)).unwrap()
    };
    let operator_token = issue(&master_secret, Role::Read);
    let master_token = issue(&agent_secret, Role::Admin);
    let master_token_file = file("master.token", &master_token);
    let agent_token_file = file("agent.token", &issue(&master_secret, Role::Agent));

    let coordinator = CoordinatorCluster::start(ClusterOptions { participants: 1, ..Default::default() }).await;
    let master = format!("127.0.0.1:{}", free_port());
    let agent = format!("127.0.0.1:{}", free_port());
    let work_dir = dir.path().join("agent");
    std::fs::create_dir_all(&work_dir).unwrap();
    write_sandbox(&work_dir, "hello\n");
    // Temporary paths hold no spaces.
    let words = |text: String| text.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let servers = coordinator.servers();
    let _master = ChildProcess::spawn(
        &binary("corral-master"),
        &words(format!(
            "--listen {master} --coordinator {servers} --jwt-secret-file {master_secret} --token-file {master_token_file}"
        )),
        &dir.path().join("master.log"),
    );
    let _agent = ChildProcess::spawn(
        &binary("corral-agent"),
        &words(format!(
            "--listen {agent} --coordinator {servers} --work-dir {} --containerizers process \
             --resources cpus:1;mem:256;ports:[41000-41009] --jwt-secret-file {agent_secret} --token-file {agent_token_file}",
            work_dir.display()
        )),
        &dir.path().join("agent.log"),
    );
    let http = reqwest::Client::new();
    let agent_id = eventually("the agent to register", Duration::from_secs(30), || async {
        let answer =
            http.get(format!("http://{master}/master/state")).bearer_auth(&operator_token).send().await.ok()?;
        let state: Value = answer.json().await.ok()?;
        state["slaves"][0]["id"].as_str().map(str::to_string)
    })
    .await;

    let browse = format!("/files/browse?path={RUN_DIR}");
    let direct = http.get(format!("http://{agent}{browse}")).bearer_auth(&master_token).send().await.unwrap();
    assert_eq!(direct.status(), StatusCode::OK, "the agent takes the master's own token");
    let through = format!("http://{master}/agents/{agent_id}{browse}");
    let answer = http.get(&through).bearer_auth(&operator_token).send().await.unwrap();
    assert_eq!(answer.status(), StatusCode::UNAUTHORIZED, "the agent saw the operator's token");
    let body: Value = answer.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("not valid"), "{body}");
    let anonymous = http.get(&through).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED, "the master checks the caller first");
}
