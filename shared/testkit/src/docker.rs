//! Whether Docker-mode tests can run here: the engine answers and the local test images are built
//! (`docker/build-images.sh`; nothing can be pulled). Without an engine a test prints a loud notice
//! and returns, unless `CORRAL_REQUIRE_DOCKER=1` (CI sets it), which makes that a failure.

use std::process::Command;
use std::sync::OnceLock;

/// The image every Docker-mode test runs: busybox-static in a `FROM scratch` image.
pub const TEST_IMAGE: &str = "corral/busybox:latest";

/// True when Docker tests should run (the test image is then built); see the module doc.
pub fn docker_ready(test: &str) -> bool {
    let engine = Command::new("docker").args(["version", "--format", "{{.Server.Version}}"]).output();
    let answered = engine.as_ref().is_ok_and(|output| output.status.success());
    if !answered {
        let why = match engine {
            Ok(output) => String::from_utf8_lossy(&output.stderr).trim().to_string(),
            Err(error) => error.to_string(),
        };
        if std::env::var("CORRAL_REQUIRE_DOCKER").as_deref() == Ok("1") {
            panic!("CORRAL_REQUIRE_DOCKER=1 but no Docker engine answers: {why}");
        }
        eprintln!("\n!!!! NOTICE: no Docker engine answers ({why}): {test} did NOT run. !!!!");
        eprintln!("!!!! Set CORRAL_REQUIRE_DOCKER=1 to make this a failure. !!!!\n");
        return false;
    }
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        let script = format!("{}/../../docker/build-images.sh", env!("CARGO_MANIFEST_DIR"));
        let output = Command::new("bash").arg(&script).arg("busybox").output().expect("run docker/build-images.sh");
        assert!(output.status.success(), "{script} failed: {}", String::from_utf8_lossy(&output.stderr));
    });
    true
}

/// The Docker containers (running or not) labelled with this task id by an agent.
pub fn containers_of(task_id: &str) -> Vec<String> {
    let output = std::process::Command::new("docker")
        .args(["ps", "-a", "-q", "--filter", &format!("label=corral.task_id={task_id}")])
        .output()
        .expect("docker ps");
    String::from_utf8_lossy(&output.stdout).lines().map(str::to_string).collect()
}
