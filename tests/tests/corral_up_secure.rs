//! `corral up --secure`: the whole cluster on TLS with bearer tokens, read as an attacker reads
//! it. Plain HTTP is turned away; without a token nothing is launched (401), a `read` token
//! cannot deploy (403), a browser form cannot post (415); the admin token the command printed
//! deploys an app that runs and answers through HAProxy over the lb's own TLS client. Then the
//! hijacks the security issue names, each refused while marathon's task keeps running: another
//! principal subscribing with marathon's framework id, a stranger registering with an agent's id
//! and no secret, an agent reporting a task that is not its own, and a forwarded session expiry
//! or an unbounded session timeout on the coordinator's peer port. The three coordinators speak
//! raft to each other over TLS with their peer tokens.

use std::path::Path;
use std::time::Duration;

use corral_testkit::{binary, eventually, free_port, ChildProcess};
use reqwest::{Client, StatusCode};
use serde_json::{json, Value};

/// A token from `corral token issue` (its last line).
fn issue_token(dir: &Path, subject: &str, roles: &[&str]) -> String {
    let mut command = std::process::Command::new(binary("corral"));
    command.args(["token", "issue", "--ttl", "1h", "--subject", subject, "--secret-file"]).arg(dir.join("jwt.secret"));
    for role in roles {
        command.args(["--role", role]);
    }
    let output = command.output().unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    String::from_utf8(output.stdout).unwrap().lines().last().unwrap().to_string()
}

/// GETs `url` with the admin's token; the answer's JSON, once one comes.
async fn read(http: &Client, admin: &str, url: String) -> Option<Value> {
    http.get(url).header("authorization", admin).send().await.ok()?.json().await.ok()
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

struct Ports {
    master: u16,
    marathon: u16,
    coordinator: u16,
    peer: u16,
    lb_http: u16,
}

fn start(dir: &Path) -> (ChildProcess, Ports) {
    let ports = Ports {
        master: free_port(),
        marathon: free_port(),
        coordinator: free_port(),
        peer: free_port(),
        lb_http: free_port(),
    };
    let mut args: Vec<String> = vec!["up".into(), "--secure".into(), "--dir".into(), dir.display().to_string()];
    let flags = [
        ("--master-port", ports.master),
        ("--marathon-port", ports.marathon),
        ("--coordinator-port", ports.coordinator),
        ("--coordinator-peer-port", ports.peer),
        ("--agent-port", free_port()),
        ("--lb-http-port", ports.lb_http),
        ("--lb-https-port", free_port()),
        ("--lb-stats-port", free_port()),
        ("--lb-api-port", free_port()),
    ];
    for (flag, port) in flags {
        args.extend([flag.to_string(), port.to_string()]);
    }
    // Three coordinators, so that raft and forwarded writes go between them over TLS too.
    args.extend(["--coordinators".into(), "3".into(), "--agents".into(), "2".into()]);
    args.extend(["--containerizers".into(), "process".into()]);
    (ChildProcess::spawn(&binary("corral"), &args, &dir.join("corral.log")), ports)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secure_cluster_serves_only_its_token_holders_and_refuses_hijacks() {
    let dir = tempfile::tempdir().unwrap();
    let (mut up, ports) = start(dir.path());
    let ca = eventually("the CA to be written", Duration::from_secs(20), || async {
        std::fs::read(dir.path().join("tls/ca.pem")).ok()
    })
    .await;
    let http = Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    let admin = bearer(std::fs::read_to_string(dir.path().join("admin.token")).unwrap().trim());
    let marathon = format!("https://127.0.0.1:{}", ports.marathon);
    let master = format!("https://127.0.0.1:{}", ports.master);
    eventually("marathon to lead and subscribe", Duration::from_secs(60), || async {
        let info: Value = read(&http, &admin, format!("{marathon}/v2/info")).await?;
        info["frameworkId"].as_str().map(str::to_string)
    })
    .await;
    let info: Value = read(&http, &admin, format!("{marathon}/v2/info")).await.unwrap();
    assert_eq!(info["http_config"], json!({"https_port": ports.marathon}), "only the port that exists");

    // Plain HTTP on a TLS port gets told, and gets nothing else.
    let plain = reqwest::get(format!("http://127.0.0.1:{}/v2/apps", ports.marathon)).await.unwrap();
    assert_eq!(plain.status(), StatusCode::BAD_REQUEST);
    assert!(plain.text().await.unwrap().contains("https://"));

    let app = json!({
        "id": "/hello", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
        "cpus": 0.1, "mem": 32, "instances": 1, "portDefinitions": [{"port": 0}],
        "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "hello.test"}
    });
    let app_exists = || async {
        let answer = http.get(format!("{marathon}/v2/apps/hello")).header("authorization", &admin).send().await;
        answer.unwrap().status() != StatusCode::NOT_FOUND
    };

    // No token: 401 with a challenge, in marathon's error shape; nothing is created.
    let anonymous = http.post(format!("{marathon}/v2/apps")).json(&app).send().await.unwrap();
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(anonymous.headers()["www-authenticate"], "Bearer realm=\"corral\"");
    assert!(anonymous.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("bearer token"));
    // A token signed with another secret is no token.
    let forged = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4Iiwicm9sZXMiOlsiYWRtaW4iXSwiaWF0IjowLCJleHAiOjk5OTk5OTk5OTl9.c2ln";
    let forged = http.post(format!("{marathon}/v2/apps")).header("authorization", bearer(forged)).json(&app).send();
    assert_eq!(forged.await.unwrap().status(), StatusCode::UNAUTHORIZED);
    // A read token reads, and cannot deploy: 403 naming the role.
    let reader = bearer(&issue_token(dir.path(), "viewer", &["read"]));
    let listed = http.get(format!("{marathon}/v2/apps")).header("authorization", &reader).send().await.unwrap();
    assert_eq!(listed.status(), StatusCode::OK);
    let denied = http.post(format!("{marathon}/v2/apps")).header("authorization", &reader).json(&app).send();
    let denied = denied.await.unwrap();
    assert_eq!(denied.status(), StatusCode::FORBIDDEN);
    assert!(denied.json::<Value>().await.unwrap()["message"].as_str().unwrap().contains("`deploy`"));
    // A browser form cannot post, whatever token: 415.
    let form = http
        .post(format!("{marathon}/v2/apps"))
        .header("authorization", &admin)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(app.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert!(!app_exists().await, "nothing was created by the refused requests");

    // The printed token deploys; the task runs and HAProxy reaches it (the lb reads marathon
    // over TLS with its own token).
    let created = http.post(format!("{marathon}/v2/apps")).header("authorization", &admin).json(&app).send();
    assert_eq!(created.await.unwrap().status(), StatusCode::CREATED);
    let task = eventually("the app to run", Duration::from_secs(60), || async {
        let app: Value = read(&http, &admin, format!("{marathon}/v2/apps/hello")).await?;
        app["app"]["tasks"].as_array()?.iter().find(|task| task["state"] == "TASK_RUNNING").cloned()
    })
    .await;
    eventually("the task to answer through HAProxy", Duration::from_secs(30), || async {
        let url = format!("http://127.0.0.1:{}/", ports.lb_http);
        reqwest::Client::new()
            .get(url)
            .header("host", "hello.test")
            .send()
            .await
            .ok()?
            .status()
            .is_success()
            .then_some(())
    })
    .await;

    let state: Value = read(&http, &admin, format!("{master}/master/state")).await.unwrap();
    let framework_id = state["frameworks"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(state["frameworks"][0]["principal"], "marathon", "the principal is the token's subject");
    let task_id = task["id"].as_str().unwrap().to_string();
    let task_agent = task["slaveId"].as_str().unwrap().to_string();
    let task_is_running = || async {
        let state: Value = read(&http, &admin, format!("{master}/master/state")).await.unwrap();
        let framework = &state["frameworks"][0];
        let running = framework["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["id"] == task_id.as_str() && t["state"] == "TASK_RUNNING");
        running && framework["connected"] == true
    };

    // Another principal subscribing with marathon's framework id is refused.
    let mallory = bearer(&issue_token(dir.path(), "mallory", &["deploy"]));
    let subscribe = json!({
        "type": "SUBSCRIBE", "framework_id": {"value": framework_id},
        "subscribe": {"framework_info": {"name": "marathon", "user": "root", "id": {"value": framework_id}}}
    });
    let hijack =
        http.post(format!("{master}/api/v1/scheduler")).header("authorization", &mallory).json(&subscribe).send();
    let hijack = hijack.await.unwrap();
    assert_eq!(hijack.status(), StatusCode::FORBIDDEN);
    assert!(hijack.text().await.unwrap().contains("principal `marathon`"));
    let teardown = json!({"type": "TEARDOWN", "framework_id": {"value": framework_id}});
    let teardown =
        http.post(format!("{master}/api/v1/scheduler")).header("authorization", &mallory).json(&teardown).send();
    assert!(teardown.await.unwrap().status().is_client_error(), "no TEARDOWN without marathon's stream");

    // Registering with an existing agent's id, without its secret, is refused; so is an update
    // for another agent's task from an agent that registered honestly.
    let rogue = bearer(&issue_token(dir.path(), "rogue", &["agent"]));
    let register = |agent_id: Option<&str>| {
        let mut body = json!({"hostname": "rogue", "port": 1, "resources": [], "tasks": [], "version": "x"});
        if let Some(id) = agent_id {
            body["agent_id"] = json!({"value": id});
        }
        http.post(format!("{master}/api/agent/v1/register")).header("authorization", &rogue).json(&body).send()
    };
    let taken = register(Some(&task_agent)).await.unwrap();
    assert_eq!(taken.status(), StatusCode::FORBIDDEN);
    assert!(taken.text().await.unwrap().contains("secret"));
    let honest: Value = register(None).await.unwrap().json().await.unwrap();
    let (rogue_id, rogue_secret) = (honest["agent_id"]["value"].as_str().unwrap(), honest["secret"].as_str().unwrap());
    let update = json!({
        "framework_id": {"value": framework_id},
        "status": {"task_id": {"value": task_id}, "state": "TASK_FAILED", "uuid": "forged"}
    });
    let forged_update = http
        .post(format!("{master}/api/agent/v1/agents/{rogue_id}/updates"))
        .header("authorization", &rogue)
        .header("corral-agent-secret", rogue_secret)
        .json(&update)
        .send()
        .await
        .unwrap();
    assert_eq!(forged_update.status(), StatusCode::FORBIDDEN);
    assert!(forged_update.text().await.unwrap().contains("does not run on agent"));
    let unsigned = http
        .get(format!("{master}/api/agent/v1/agents/{task_agent}/commands?wait_ms=0"))
        .header("authorization", &rogue)
        .send()
        .await
        .unwrap();
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN, "an agent's commands are its own");

    // The coordinator's peer port: only peers, and even they cannot forward a session expiry
    // or a session timeout outside the bounds.
    let peer = format!("https://127.0.0.1:{}/internal/write", ports.peer);
    let expire = json!({"type": "expire_sessions", "session_ids": [1, 2, 3, 4, 5, 6, 7, 8]});
    let outsider = http.post(&peer).header("authorization", &admin.replace("Bearer ", "Bearer x")).json(&expire).send();
    assert_eq!(outsider.await.unwrap().status(), StatusCode::UNAUTHORIZED);
    let not_peer = http.post(&peer).header("authorization", &mallory).json(&expire).send().await.unwrap();
    assert_eq!(not_peer.status(), StatusCode::FORBIDDEN);
    let peer_token = bearer(&issue_token(dir.path(), "stolen-peer", &["peer"]));
    let forwarded = http.post(&peer).header("authorization", &peer_token).json(&expire).send().await.unwrap();
    assert_eq!(forwarded.status(), StatusCode::FORBIDDEN);
    let endless = json!({"type": "create_session", "timeout_ms": 1_000_000_000u64});
    let endless = http.post(&peer).header("authorization", &peer_token).json(&endless).send().await.unwrap();
    assert_eq!(endless.status(), StatusCode::BAD_REQUEST);

    // Everything refused left the cluster as it was: the same leaders, marathon still
    // subscribed, its task still running (checked over a few heartbeats).
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(task_is_running().await, "marathon's task and subscription survived every attempt");
    let after: Value = read(&http, &admin, format!("{marathon}/v2/info")).await.unwrap();
    assert_eq!(after["frameworkId"], framework_id);
    assert_eq!(after["elected"], true);

    let deleted = http.delete(format!("{marathon}/v2/apps/hello")).header("authorization", &admin).send().await;
    assert_eq!(deleted.unwrap().status(), StatusCode::OK);
    eventually("the task to stop", Duration::from_secs(30), || async { (!task_is_running().await).then_some(()) })
        .await;
    assert!(up.stop(Duration::from_secs(15)).await, "corral up did not stop on SIGTERM");
}
