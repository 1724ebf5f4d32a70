//! The master's page in a real browser, on a `corral up` cluster: the summary's cards, agents,
//! frameworks, tasks and offers; from a task to its sandbox and a live tail of its `stdout` that
//! shows a line the task prints later without reloading the page; and a standby master whose page
//! names the leader and links to it. Every page is shot at 1366×768 and 390×844.

use std::path::{Path, PathBuf};
use std::time::Duration;

use corral_testkit::browser::Browser;
use corral_testkit::{binary, eventually, free_port, ChildProcess, CorralUp};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

/// Prints one line, waits for a file named `go` in its sandbox, then prints another.
fn printer() -> Value {
    json!({
        "id": "/printer",
        "cmd": "echo first-line-from-the-task; echo complaint-on-stderr >&2; \
                while [ ! -e go ]; do sleep 0.2; done; echo second-line-after-go; sleep 3600",
        "instances": 1, "cpus": 0.1, "mem": 32,
    })
}

/// The run directory of `task_id` under the agent's work directory.
fn sandbox_of(agent_work_dir: &Path, task_id: &str) -> Option<PathBuf> {
    for framework in std::fs::read_dir(agent_work_dir.join("sandboxes")).ok()?.flatten() {
        if let Ok(runs) = std::fs::read_dir(framework.path().join(task_id)) {
            return runs.flatten().map(|run| run.path()).next();
        }
    }
    None
}

#[tokio::test(flavor = "multi_thread")]
async fn the_master_page_tails_a_tasks_stdout_and_a_standby_names_the_leader() {
    let up = CorralUp::start(1, &[]);
    up.wait_ready().await;
    let http = up.http_client().await;
    let created = http.post(up.url(up.ports.marathon, "/v2/apps")).json(&printer()).send().await.unwrap();
    assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    let state_url = up.url(up.ports.master, "/master/state");
    let (task_id, agent_id, framework_id) = eventually("the printer's task to run", WAIT, || async {
        let state: Value = http.get(&state_url).send().await.ok()?.json().await.ok()?;
        let framework = state["frameworks"].as_array()?.iter().find(|framework| framework["name"] == "marathon")?;
        let task = framework["tasks"].as_array()?.iter().find(|task| task["state"] == "TASK_RUNNING")?;
        Some((
            task["id"].as_str()?.to_string(),
            task["slave_id"].as_str()?.to_string(),
            framework["id"].as_str()?.to_string(),
        ))
    })
    .await;
    let page = |hash: &str| up.url(up.ports.master, &format!("/{hash}"));

    let browser = Browser::start().await;
    browser.goto(&page("#/")).await;
    browser.wait_text(r#"[data-field="tasks-running"]"#, "1", WAIT).await;
    browser.wait_text(r#"[data-field="cpus-used"]"#, "0.1", WAIT).await;
    browser.wait_text(r#"[data-field="leader"]"#, &format!("127.0.0.1:{}", up.ports.master), WAIT).await;
    browser.shoot_both("master-summary").await;

    browser.goto(&page("#/agents")).await;
    browser.wait_for(&format!(r#"tr[data-agent-id="{agent_id}"]"#), WAIT).await;
    browser.shoot_both("master-agents").await;
    browser.goto(&page(&format!("#/agents/{agent_id}"))).await;
    browser.wait_for(&format!(r#"a[data-task-id="{task_id}"]"#), WAIT).await;
    browser.shoot_both("master-agent").await;

    browser.goto(&page("#/frameworks")).await;
    browser.wait_for(&format!(r#"tr[data-framework-id="{framework_id}"] [data-field="share"]"#), WAIT).await;
    browser.shoot_both("master-frameworks").await;
    browser.goto(&page(&format!("#/frameworks/{framework_id}"))).await;
    browser.wait_for(&format!(r#"a[data-task-id="{task_id}"]"#), WAIT).await;
    browser.shoot_both("master-framework").await;

    browser.goto(&page("#/offers")).await;
    browser.wait_text("h1", "Outstanding offers", WAIT).await;
    browser.shoot_both("master-offers").await;

    // From the tasks to the task, its sandbox, and a tail of its stdout.
    browser.goto(&page("#/tasks")).await;
    browser.click(&format!(r#"a[data-task-id="{task_id}"]"#)).await;
    browser.wait_for(r#"a[data-file="stdout"]"#, WAIT).await;
    browser.wait_text("#main", "TASK_RUNNING", WAIT).await;
    browser.shoot_both("master-task").await;
    browser.script("window.notReloaded = true; return true").await;
    browser.click(r#"a[data-file="stdout"]"#).await;
    browser.wait_text("pre#tail", "first-line-from-the-task", WAIT).await;
    let sandbox =
        eventually("the task's sandbox", WAIT, || async { sandbox_of(&up.dir().join("agent1"), &task_id) }).await;
    std::fs::write(sandbox.join("go"), "").unwrap();
    browser.wait_text("pre#tail", "second-line-after-go", WAIT).await;
    assert_eq!(browser.script("return window.notReloaded === true").await, true, "the page was reloaded");
    browser.shoot_both("master-tail-stdout").await;
    browser.goto(&page(&format!("#/tasks/{task_id}"))).await;
    browser.click(r#"a[data-file="stderr"]"#).await;
    browser.wait_text("pre#tail", "complaint-on-stderr", WAIT).await;
    let banner = browser.script("return document.getElementById('corral-banner')?.innerText ?? ''").await;
    assert_eq!(banner, "", "the master's page showed an error");

    // A second master on the same coordinator is a standby: its page names and links the leader.
    let standby_port = free_port();
    let standby_address = format!("127.0.0.1:{standby_port}");
    let args: Vec<String> = [
        "--listen",
        &standby_address,
        "--advertise",
        &standby_address,
        "--coordinator",
        &format!("127.0.0.1:{}", up.ports.coordinator),
    ]
    .iter()
    .map(|arg| arg.to_string())
    .collect();
    let _standby = ChildProcess::spawn(&binary("corral-master"), &args, &up.dir().join("standby-master.log"));
    let leader = format!("127.0.0.1:{}", up.ports.master);
    eventually("the standby to know the leader", WAIT, || async {
        let state: Value =
            reqwest::get(format!("http://{standby_address}/master/state")).await.ok()?.json().await.ok()?;
        (state["leader_info"]["port"] == up.ports.master).then_some(())
    })
    .await;
    browser.goto(&format!("http://{standby_address}/#/agents")).await;
    browser.wait_text("#standby", &leader, WAIT).await;
    let link = browser.script("return document.getElementById('leader-link').href").await;
    assert_eq!(link, format!("http://{leader}/#/agents"), "the standby links the leader's page");
    browser.shoot_both("master-standby").await;
    browser.close().await;
}
