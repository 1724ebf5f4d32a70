//! README's docker-compose walkthrough, end to end: `scripts/walkthrough.sh` builds the images,
//! brings the whole cluster up in containers, deploys `examples/web.json`, reaches it directly and
//! through HAProxy, survives a killed task container and a killed leading master, and tears it
//! all down without leaving anything behind. It binds the walkthrough's host ports (80, 443, 2181-2183,
//! 5050, 5060, 8080, 8081, 9090, 9095), so it is a test binary of its own.

use std::process::Command;

use corral_testkit::docker_ready;

#[test]
fn the_compose_walkthrough_passes() {
    if !docker_ready("the_compose_walkthrough_passes") {
        return;
    }
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../scripts/walkthrough.sh");
    let output = Command::new("bash").arg(script).output().expect("run scripts/walkthrough.sh");
    let (stdout, stderr) = (String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(output.status.success(), "{script} failed\n{stdout}\n{stderr}");
    assert!(stdout.contains("walkthrough: every step passed"), "{stdout}");
}
