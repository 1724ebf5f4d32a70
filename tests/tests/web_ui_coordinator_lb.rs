//! The coordinator's and the lb's pages in a real browser, on a `corral up` with three
//! coordinators. The tree browser follows the znode it shows through a watch: a change another
//! client makes appears without a reload. The ensemble page names each member's role. The lb's
//! page lists an exposed app's route with its server's state, and an app left out for a bad
//! label with the reason; its link opens HAProxy's own stats page. Screenshots at 1366×768 and
//! 390×844 go to `target/ui-screenshots/`.

use std::time::Duration;

use corral_testkit::browser::{Browser, DESKTOP, PHONE};
use corral_testkit::{eventually, free_port, CorralUp};
use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(30);

#[tokio::test(flavor = "multi_thread")]
async fn the_coordinator_and_lb_pages_follow_the_cluster() {
    let up = CorralUp::start(1, &["--coordinators", "3"]);
    up.wait_ready().await;
    let browser = Browser::start().await;
    coordinator_tree_follows_a_znode(&up, &browser).await;
    coordinator_ensemble_names_the_roles(&up, &browser).await;
    lb_page_lists_routes_and_exclusions(&up, &browser).await;
    browser.close().await;
}

async fn coordinator_tree_follows_a_znode(up: &CorralUp, browser: &Browser) {
    let http = up.http_client().await;
    let znode = |path: &str| up.url(up.ports.coordinator, &format!("/v1/znodes{path}"));
    for (path, data) in [("/web-ui", ""), ("/web-ui/page", "first words")] {
        let created = http.post(znode(path)).json(&json!({ "data": data })).send().await.unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    }

    browser.goto(&up.url(up.ports.coordinator, "/#/")).await;
    browser.click(r#"ul#children li[data-child="web-ui"] a"#).await;
    browser.click(r#"ul#children li[data-child="page"] a"#).await;
    browser.wait_text("pre#data", "first words", WAIT).await;
    browser.wait_text(r#"dl#stat dd[data-stat="version"]"#, "0", WAIT).await;
    browser.wait_for("#live.live.on", WAIT).await;
    let hash = browser.script("return location.hash").await;
    assert_eq!(hash, "#/znode/web-ui/page");
    // A mark on the document: a reload would lose it.
    browser.script("window.notReloaded = true; return true").await;

    let set = http.put(znode("/web-ui/page")).json(&json!({"data": "changed by another client"})).send().await.unwrap();
    assert_eq!(set.status(), 200, "{}", set.text().await.unwrap());
    browser.wait_text("pre#data", "changed by another client", WAIT).await;
    browser.wait_text(r#"dl#stat dd[data-stat="version"]"#, "1", WAIT).await;

    // Text with control characters is shown as hex.
    http.put(znode("/web-ui/page")).json(&json!({"data": "\u{1}\u{2}raw"})).send().await.unwrap();
    browser.wait_text(r#"pre#data[data-view="hex"]"#, "01 02 72 61 77", WAIT).await;
    http.put(znode("/web-ui/page")).json(&json!({"data": "{\"shown\": \"as text\"}"})).send().await.unwrap();
    browser.wait_text(r#"pre#data[data-view="text"]"#, "as text", WAIT).await;

    // A new child of the shown znode appears in its list.
    browser.goto(&up.url(up.ports.coordinator, "/#/znode/web-ui")).await;
    browser.wait_for(r#"ul#children li[data-child="page"]"#, WAIT).await;
    browser.script("window.notReloaded = true; return true").await;
    let created = http.post(znode("/web-ui/later")).json(&json!({})).send().await.unwrap();
    assert_eq!(created.status(), 201);
    browser.wait_for(r#"ul#children li[data-child="later"]"#, WAIT).await;
    assert_eq!(browser.script("return window.notReloaded === true").await, Value::Bool(true), "the page reloaded");
    browser.click(r#"ul#children li[data-child="page"] a"#).await;
    browser.wait_text("pre#data", "as text", WAIT).await;
    browser.wait_for("#live.live.on", WAIT).await;
    browser.shoot_both("coordinator-tree").await;
}

async fn coordinator_ensemble_names_the_roles(up: &CorralUp, browser: &Browser) {
    browser.goto(&up.url(up.ports.coordinator, "/#/ensemble")).await;
    let script = "return [...document.querySelectorAll('tr[data-member]')].map(row => row.dataset.role).sort()";
    let roles = eventually("the ensemble page to list a leader and two followers", WAIT, || async {
        let roles = browser.script(script).await;
        (roles == json!(["follower", "follower", "leader"])).then_some(roles)
    })
    .await;
    assert_eq!(roles.as_array().map(Vec::len), Some(3));
    browser.wait_text("pre#srvr", "Mode:", WAIT).await;
    browser.shoot_both("coordinator-ensemble").await;
}

async fn lb_page_lists_routes_and_exclusions(up: &CorralUp, browser: &Browser) {
    let http = up.http_client().await;
    let (service_port, bad_port) = (free_port(), free_port());
    let apps = [
        json!({
            "id": "/ui-web", "cmd": "exec python3 -m http.server $PORT0 --bind 127.0.0.1",
            "instances": 1, "cpus": 0.1, "mem": 32, "portDefinitions": [{"port": service_port}],
            "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.test"},
        }),
        json!({
            "id": "/ui-bad", "cmd": "sleep 600", "instances": 0, "cpus": 0.1, "mem": 32,
            "portDefinitions": [{"port": bad_port}],
            "labels": {"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "broken.test\n  bind :1"},
        }),
    ];
    for app in apps {
        let created = http.post(up.url(up.ports.marathon, "/v2/apps")).json(&app).send().await.unwrap();
        assert_eq!(created.status(), 201, "{}", created.text().await.unwrap());
    }

    browser.goto(&up.url(up.ports.lb_api, "/")).await;
    let route = format!(r#"tr[data-route="ui-web_{service_port}"]"#);
    browser.wait_text(&route, "web.test", WAIT).await;
    browser.wait_text(&format!("{route} [data-state]"), "UP", Duration::from_secs(60)).await;
    browser.wait_text(r#"tr[data-excluded="/ui-bad"]"#, "HAPROXY_0_VHOST", WAIT).await;
    browser.wait_for("#live.live.on", WAIT).await;
    browser.shoot_both("lb-routes").await;

    let stats = format!("http://127.0.0.1:{}/haproxy?stats", up.ports.lb_stats);
    let link = browser.script("return document.getElementById('haproxy-stats').href").await;
    assert_eq!(link, Value::String(stats.clone()));
    browser.goto(&stats).await;
    browser.wait_text("body", "Statistics Report", WAIT).await;
    browser.wait_text("body", &format!("ui-web_{service_port}"), WAIT).await;
    browser.shoot("lb-haproxy-stats-desktop").await;
    // HAProxy's page is its own and wider than a phone: shot as it is, not checked for overflow.
    browser.resize(PHONE).await;
    browser.shoot("lb-haproxy-stats-phone").await;
    browser.resize(DESKTOP).await;
}
