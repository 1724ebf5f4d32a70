//! Marathon's page in a real browser, on a `corral up` cluster: an app created from the form (the
//! fields and the JSON kept in sync) reaches healthy on the apps list without a reload; it is
//! scaled from its page; a task's sandbox link leads to the master's page and the line the task
//! printed; bad fields show Marathon's errors under the fields; an edit that cannot be placed is
//! rolled back from the deployments page, and an older version applied from the versions page; a
//! standby marathon serves the same page, live through the leader's relayed event stream. Every
//! page is shot at 1366×768 and 390×844.

use std::time::Duration;

use corral_testkit::browser::Browser;
use corral_testkit::{binary, eventually, free_port, ChildProcess, CorralUp};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(45);

/// What the task prints to its stdout before it serves HTTP.
const PRINTED: &str = "hello-from-the-web-task";

/// The app the form creates: a web server with an HTTP health check.
fn web_app() -> Value {
    json!({
        "id": "/web",
        "cmd": format!("echo {PRINTED}; exec python3 -m http.server $PORT0"),
        "instances": 1, "cpus": 0.1, "mem": 32, "disk": 0,
        "healthChecks": [{"protocol": "HTTP", "path": "/", "portIndex": 0, "gracePeriodSeconds": 30,
                          "intervalSeconds": 1, "timeoutSeconds": 2, "maxConsecutiveFailures": 10}],
    })
}

async fn no_error_banner(browser: &Browser, when: &str) {
    let banner = browser.script("const b = document.getElementById('corral-banner'); return b && b.classList.contains('error') ? b.innerText : ''").await;
    assert_eq!(banner, "", "an error banner {when}");
}

#[tokio::test(flavor = "multi_thread")]
async fn marathon_page_creates_watches_scales_rolls_back_and_works_on_a_standby() {
    let up = CorralUp::start(1, &[]);
    up.wait_ready().await;
    let http = up.http_client().await;
    let marathon = |path: &str| up.url(up.ports.marathon, path);
    let page = |hash: &str| marathon(&format!("/{hash}"));
    let browser = Browser::start().await;

    // The form: the fields write the JSON, the JSON fills the fields; the app is created.
    browser.goto(&page("#/new")).await;
    browser.wait_text("#live", "live on", WAIT).await;
    browser.fill("input[name=id]", "/web").await;
    browser.fill("textarea[name=cmd]", "sleep 1").await;
    browser.fill("input[name=mem]", "32").await;
    let written = browser.script("return JSON.parse(document.getElementById('app-json').value)").await;
    assert_eq!(
        (&written["id"], &written["cmd"], &written["mem"]),
        (&json!("/web"), &json!("sleep 1"), &json!(32)),
        "{written}"
    );
    browser.fill("#app-json", &web_app().to_string()).await;
    let command = browser.script("return document.querySelector('textarea[name=cmd]').value").await;
    assert_eq!(command, web_app()["cmd"], "the JSON fills the form");
    browser.shoot_both("marathon-new").await;
    browser.click("#app-submit").await;
    browser.wait_text("h1", "/web", WAIT).await;

    // The apps list turns healthy by itself.
    browser.goto(&page("#/apps")).await;
    browser.wait_for(r#"tr[data-app="/web"]"#, WAIT).await;
    browser.script("window.notReloaded = true; return true").await;
    browser.wait_text(r#"tr[data-app="/web"] [data-field="tasksHealthy"]"#, "1", WAIT).await;
    browser.wait_text(r#"tr[data-app="/web"] [data-field="tasksRunning"]"#, "1", WAIT).await;
    browser.wait_text(r#"tr[data-app="/web"] [data-field="status"]"#, "Running", WAIT).await;
    assert_eq!(browser.script("return window.notReloaded === true").await, true, "the page was reloaded");
    no_error_banner(&browser, "on the apps list").await;
    browser.shoot_both("marathon-apps").await;

    // Scaled from the app's page; both tasks healthy.
    browser.click(r#"tr[data-app="/web"] a"#).await;
    browser.wait_for("tr[data-task] a.sandbox", WAIT).await;
    browser.fill("#scale-instances", "2").await;
    browser.click("#scale-submit").await;
    browser.wait_text(r#"#app-summary [data-field="summary-running"]"#, "2 of 2", WAIT).await;
    browser.wait_text(r#"#app-summary [data-field="summary-healthy"]"#, "2", WAIT).await;
    let healths = browser
        .script("return [...document.querySelectorAll('tr[data-task] [data-field=health]')].map(c => c.innerText)")
        .await;
    assert_eq!(healths, json!(["healthy", "healthy"]), "the tasks' health");
    no_error_banner(&browser, "on the app's page").await;
    browser.shoot_both("marathon-app").await;

    // A task's sandbox link opens the master's page of that task, where its stdout shows the line.
    let task_id = browser.script("return document.querySelector('tr[data-task]').dataset.task").await;
    let task_id = task_id.as_str().expect("a task id").to_string();
    let href =
        browser.script(&format!("return document.querySelector('tr[data-task=\"{task_id}\"] a.sandbox').href")).await;
    let master = up.url(up.ports.master, "");
    let encoded = browser.script(&format!("return encodeURIComponent('{task_id}')")).await;
    assert_eq!(href, format!("{master}/#/tasks/{}", encoded.as_str().unwrap()), "the sandbox link");
    browser.click(&format!(r#"tr[data-task="{task_id}"] a.sandbox"#)).await;
    browser.click(r#"a[data-file="stdout"]"#).await;
    browser.wait_text("pre#tail", PRINTED, WAIT).await;

    // Bad fields: Marathon's errors under the fields they name.
    browser.goto(&page("#/new")).await;
    browser.fill("input[name=id]", "Bad Id").await;
    browser.fill("textarea[name=cmd]", "sleep 1").await;
    browser.fill("input[name=cpus]", "-1").await;
    browser.click("#app-submit").await;
    browser.wait_text(r#".field-error[data-path="/cpus"]"#, "expected 0.0 or more", WAIT).await;
    browser.wait_for(r#".field-error[data-path="/id"]"#, WAIT).await;
    let placed = browser
        .script(
            r#"return ["/cpus", "/id"].map((path) => {
            const error = document.querySelector(`.field-error[data-path="${path}"]`);
            const input = error.previousElementSibling;
            return [input.name, input.classList.contains("invalid")];
        })"#,
        )
        .await;
    assert_eq!(placed, json!([["cpus", true], ["id", true]]), "each error right under its input");
    browser.shoot_both("marathon-form-errors").await;

    // An edit that cannot be placed (more CPUs than the agent has) waits in the queue; rolled back.
    browser.goto(&page("#/apps/web/edit")).await;
    eventually("the edit form to hold the app", WAIT, || async {
        let json = browser.script("return document.getElementById('app-json')?.value ?? ''").await;
        json.as_str()?.contains("healthChecks").then_some(())
    })
    .await;
    browser.fill("input[name=cpus]", "16").await;
    browser.shoot_both("marathon-edit").await;
    browser.click("#app-submit").await;
    browser.wait_for("#app-summary [data-field=deployments] a", WAIT).await;
    browser.goto(&page("#/queue")).await;
    browser.wait_for(r#"tr[data-queue="/web"]"#, WAIT).await;
    browser.shoot_both("marathon-queue").await;
    browser.goto(&page("#/deployments")).await;
    let rollback = browser.wait_for("button[data-rollback]", WAIT).await;
    let deployment = rollback.attr("data-rollback").await.unwrap().expect("a deployment id");
    browser.wait_text(&format!(r#"tr[data-deployment="{deployment}"]"#), "/web", WAIT).await;
    browser.shoot_both("marathon-deployments").await;
    browser.click(&format!(r#"button[data-rollback="{deployment}"]"#)).await;
    browser.wait_text("#deployments", "no deployment is running", WAIT).await;
    eventually("the rollback to bring back 0.1 CPUs and two healthy tasks", WAIT, || async {
        let app: Value = http.get(marathon("/v2/apps/web")).send().await.ok()?.json().await.ok()?;
        (app["app"]["cpus"] == 0.1 && app["app"]["tasksHealthy"] == 2).then_some(())
    })
    .await;

    // The versions, each with its diff; the first one applied again (one instance).
    browser.goto(&page("#/apps/web/versions")).await;
    browser.wait_for(".diff .add", WAIT).await;
    let versions =
        browser.script("return [...document.querySelectorAll('tr[data-version]')].map(r => r.dataset.version)").await;
    let first = versions.as_array().and_then(|all| all.last()).and_then(Value::as_str).expect("versions").to_string();
    browser.shoot_both("marathon-versions").await;
    browser.click(&format!(r#"button[data-apply-version="{first}"]"#)).await;
    browser.wait_text(r#"#app-summary [data-field="summary-running"]"#, "1 of 1", WAIT).await;
    browser.wait_text(r#"#app-summary [data-field="deployments"]"#, "none", WAIT).await;

    // A standby serves the page, live through the leader's events.
    let standby = format!("127.0.0.1:{}", free_port());
    let coordinator = format!("127.0.0.1:{}", up.ports.coordinator);
    let args = ["--listen", standby.as_str(), "--advertise", standby.as_str(), "--coordinator", coordinator.as_str()]
        .map(String::from);
    let _standby = ChildProcess::spawn(&binary("corral-marathon"), &args, &up.dir().join("standby-marathon.log"));
    eventually("the standby to know the leader", WAIT, || async {
        let info: Value = reqwest::get(format!("http://{standby}/v2/info")).await.ok()?.json().await.ok()?;
        (info["elected"] == false && info["leader"].is_string()).then_some(())
    })
    .await;
    browser.goto(&format!("http://{standby}/#/apps")).await;
    browser.wait_text("#whoami", "standby", WAIT).await;
    browser.wait_text("#live", "live on", WAIT).await;
    browser.wait_text(r#"tr[data-app="/web"] [data-field="instances"]"#, "1", WAIT).await;
    browser.script("window.notReloaded = true; return true").await;
    let scaled = http.put(marathon("/v2/apps/web")).json(&json!({"instances": 2})).send().await.unwrap();
    assert_eq!(scaled.status(), 200, "{}", scaled.text().await.unwrap());
    browser.wait_text(r#"tr[data-app="/web"] [data-field="instances"]"#, "2", WAIT).await;
    assert_eq!(browser.script("return window.notReloaded === true").await, true, "the standby's page was reloaded");
    no_error_banner(&browser, "on the standby's page").await;
    browser.shoot_both("marathon-standby").await;
    browser.close().await;

    // The task processes outlive the cluster's processes: end them before the cluster goes.
    let destroyed = http.delete(marathon("/v2/apps/web")).send().await.unwrap();
    assert_eq!(destroyed.status(), 200, "{}", destroyed.text().await.unwrap());
    eventually("the app's tasks to end", WAIT, || async {
        let tasks: Value = http.get(marathon("/v2/tasks")).send().await.ok()?.json().await.ok()?;
        tasks["tasks"].as_array()?.iter().all(|task| task["appId"] != "/web").then_some(())
    })
    .await;
}
