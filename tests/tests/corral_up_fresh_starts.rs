//! Twenty fresh `corral up` in a row, each into an empty directory, come up without restarting
//! anything: a master and marathon that lose their coordinator session at start-up (the race the
//! reliability issue found, a session expired 1.3 s after it was made) would show as
//! `corral: master exited ... restarting it`.

use std::time::Duration;

use corral_testkit::CorralUp;

const STARTS: usize = 20;

#[tokio::test(flavor = "multi_thread")]
async fn twenty_fresh_starts_restart_nothing() {
    for start in 1..=STARTS {
        let mut up = CorralUp::start(1, &[]);
        up.wait_ready().await;
        // Sessions are 3-4 s: a lost one would have shown by now.
        tokio::time::sleep(Duration::from_secs(5)).await;
        let output = std::fs::read_to_string(up.dir().join("corral.log")).unwrap();
        assert!(!output.contains("restarting"), "start {start} of {STARTS} restarted a process:\n{}", up.logs());
        assert!(up.process.stop(Duration::from_secs(15)).await, "corral up did not stop on SIGTERM");
    }
}
