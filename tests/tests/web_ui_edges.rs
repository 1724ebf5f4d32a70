//! The web pages where an operator meets them in practice, in a real browser: behind HAProxy under
//! a path prefix (every page uses relative URLs, so `/marathon/` and `/mesos/` work as well as
//! `/`), on a secure cluster (401 asks for a token and works once one is pasted; a `read` token
//! trying to change something is told it needs more, 403), and on a marathon that cannot reach its
//! coordinator (503, said plainly, while the page itself still loads).

use std::time::Duration;

use corral_testkit::browser::Browser;
use corral_testkit::{binary, eventually, free_port, ChildProcess, CorralUp};
use serde_json::json;

const WAIT: Duration = Duration::from_secs(30);

/// An app that runs anywhere the process containerizer does.
fn app(id: &str) -> serde_json::Value {
    json!({"id": id, "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1", "instances": 1, "cpus": 0.1, "mem": 32})
}

/// HAProxy in front of marathon at `/marathon/` and the master at `/mesos/`, stripping the prefix.
fn prefix_proxy(up: &CorralUp, port: u16) -> ChildProcess {
    let config = format!(
        "global\n  maxconn 200\n\
         defaults\n  mode http\n  timeout connect 5s\n  timeout client 120s\n  timeout server 120s\n\
         frontend pages\n  bind 127.0.0.1:{port}\n  use_backend marathon if {{ path_beg /marathon/ }}\n  use_backend master if {{ path_beg /mesos/ }}\n\
         backend marathon\n  http-request replace-path /marathon(/.*) \\1\n  server marathon 127.0.0.1:{}\n\
         backend master\n  http-request replace-path /mesos(/.*) \\1\n  server master 127.0.0.1:{}\n",
        up.ports.marathon, up.ports.master
    );
    let path = up.dir().join("prefix-proxy.cfg");
    std::fs::write(&path, config).unwrap();
    let haproxy = std::path::Path::new("/usr/sbin/haproxy");
    assert!(haproxy.exists(), "haproxy is missing: apt-get install haproxy (scripts/test.sh installs it)");
    ChildProcess::spawn(
        haproxy,
        &["-db".into(), "-f".into(), path.display().to_string()],
        &up.dir().join("prefix-proxy.log"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn pages_work_behind_a_path_prefix() {
    let up = CorralUp::start(1, &[]);
    up.wait_ready().await;
    let http = up.http_client().await;
    let created = http.post(up.url(up.ports.marathon, "/v2/apps")).json(&app("/behind")).send().await.unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let port = free_port();
    let _proxy = prefix_proxy(&up, port);
    eventually("HAProxy to serve", WAIT, || async {
        reqwest::get(format!("http://127.0.0.1:{port}/marathon/"))
            .await
            .ok()
            .filter(|answer| answer.status().is_success())
    })
    .await;

    let browser = Browser::start().await;
    browser.goto(&format!("http://127.0.0.1:{port}/marathon/#/apps")).await;
    browser.wait_for(r#"tr[data-app="/behind"]"#, WAIT).await;
    browser.shoot("edges-marathon-behind-prefix").await;
    browser.goto(&format!("http://127.0.0.1:{port}/mesos/#/frameworks")).await;
    browser.wait_text("#main", "marathon", WAIT).await;
    browser.shoot("edges-master-behind-prefix").await;
    let banner = browser.script("return document.getElementById('corral-banner')?.innerText ?? ''").await;
    assert_eq!(banner, "", "the pages behind the prefix showed an error");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secure_cluster_page_asks_for_a_token_and_says_what_the_role_lacks() {
    let up = CorralUp::start(1, &["--secure"]);
    up.wait_ready().await;
    let admin = up.http_client().await;
    let created = admin.post(up.url(up.ports.marathon, "/v2/apps")).json(&app("/guarded")).send().await.unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let issued = std::process::Command::new(binary("corral"))
        .args(["token", "issue", "--ttl", "1h", "--subject", "viewer", "--role", "read", "--secret-file"])
        .arg(up.dir().join("jwt.secret"))
        .output()
        .unwrap();
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let reader = String::from_utf8(issued.stdout).unwrap().lines().last().unwrap().to_string();

    let browser = Browser::start().await;
    browser.goto(&up.url(up.ports.marathon, "/#/apps")).await;
    browser.wait_text("#corral-banner", "401", WAIT).await;
    browser.shoot("edges-marathon-asks-for-a-token").await;
    browser.fill("#corral-token", &reader).await;
    browser.click("#corral-token-save").await;
    browser.wait_for(r#"tr[data-app="/guarded"]"#, WAIT).await;
    // A read token cannot suspend the app: the page says so and the app keeps its instance.
    browser.goto(&up.url(up.ports.marathon, "/#/apps/guarded")).await;
    browser.click("#suspend").await;
    if browser.client().accept_alert().await.is_err() {
        // No confirmation asked for a suspension.
    }
    browser.wait_text("#corral-banner", "403", WAIT).await;
    browser.shoot("edges-marathon-read-token-refused").await;
    let app: serde_json::Value =
        admin.get(up.url(up.ports.marathon, "/v2/apps/guarded")).send().await.unwrap().json().await.unwrap();
    assert_eq!(app["app"]["instances"], 1, "a read token changed the app");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_marathon_without_its_coordinator_says_it_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let args: Vec<String> =
        ["--listen", &format!("127.0.0.1:{port}"), "--coordinator", &format!("127.0.0.1:{}", free_port())]
            .iter()
            .map(|arg| arg.to_string())
            .collect();
    let _marathon = ChildProcess::spawn(&binary("corral-marathon"), &args, &dir.path().join("marathon.log"));
    eventually("marathon to answer /ping", WAIT, || async {
        reqwest::get(format!("http://127.0.0.1:{port}/ping")).await.ok().filter(|answer| answer.status().is_success())
    })
    .await;
    let browser = Browser::start().await;
    browser.goto(&format!("http://127.0.0.1:{port}/#/apps")).await;
    browser.wait_text("#corral-banner", "503", WAIT).await;
    browser.shoot("edges-marathon-unavailable").await;
    browser.close().await;
}
