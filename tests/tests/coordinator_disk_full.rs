//! A coordinator whose disk fills up leaves instead of lingering: one node of three keeps its
//! data on a 4 MiB tmpfs, which the test then fills. Writes go on through the other two; the full
//! node's `/health` stops answering 200 within seconds and its process exits with the reason; no
//! write the cluster acknowledged is missing afterwards. Mounting a tmpfs needs root, as CI has.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use corral_coord_client::{CoordAddresses, CoordClient, CreateMode};
use corral_testkit::{eventually, ClusterOptions, CoordinatorCluster};

/// A tmpfs mounted for the test, unmounted when dropped.
struct SmallDisk {
    path: PathBuf,
}

impl SmallDisk {
    fn mount(path: &Path, size: &str) -> Self {
        std::fs::create_dir_all(path).unwrap();
        let mounted = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(path)
            .status()
            .expect("run mount");
        assert!(mounted.success(), "cannot mount a tmpfs at {} (the test needs root)", path.display());
        SmallDisk { path: path.to_path_buf() }
    }

    /// Writes a file until the file system is full.
    fn fill(&self) {
        use std::io::Write;
        let mut file = std::fs::File::create(self.path.join("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount").arg("-l").arg(&self.path).status();
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_whose_disk_fills_leaves_and_the_rest_loses_nothing() {
    let scratch = tempfile::tempdir().unwrap();
    let disk = SmallDisk::mount(&scratch.path().join("small"), "4m");
    let full_node = 2;
    let options = ClusterOptions { data_dir: Some((full_node, disk.path.join("data"))), ..ClusterOptions::default() };
    let mut cluster = CoordinatorCluster::start(options).await;
    let others: Vec<String> =
        cluster.nodes.iter().enumerate().filter(|(i, _)| *i != full_node).map(|(_, n)| n.client.clone()).collect();
    let client = CoordClient::new(CoordAddresses::from_entries(&others).unwrap());
    client.create("/acked", "", CreateMode::Persistent, None).await.unwrap();

    disk.fill();
    let health = format!("http://{}/health", cluster.nodes[full_node].client);
    let http = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
    let mut acknowledged = Vec::new();
    let started = Instant::now();
    let mut healthy_until = None;
    let mut attempts = 0;
    // Writes of 1 KiB go on until the full node has left; each acknowledged one is kept.
    while cluster.nodes[full_node].process.exit_status().is_none() {
        assert!(started.elapsed() < Duration::from_secs(60), "the node with a full disk did not leave within 60 s");
        // A new name for every attempt: a write whose outcome is unknown (504) may have happened.
        attempts += 1;
        let name = format!("/acked/k{attempts}");
        if client.create(&name, &"x".repeat(1024), CreateMode::Persistent, None).await.is_ok() {
            acknowledged.push(name);
        }
        let ok = http.get(&health).send().await.is_ok_and(|answer| answer.status().is_success());
        if ok {
            healthy_until = Some(started.elapsed());
        }
    }
    let left_after = started.elapsed();
    println!(
        "the full node left after {left_after:?}; /health last said 200 at {healthy_until:?}; {} writes acknowledged",
        acknowledged.len()
    );
    assert!(acknowledged.len() >= 10, "writes went on through the other nodes");
    if let Some(last_ok) = healthy_until {
        assert!(left_after - last_ok >= Duration::from_secs(2), "/health said 200 until just before the node left");
    }

    // The two others still make a quorum: more writes go through, and nothing acknowledged is gone.
    client.create("/acked/after", "", CreateMode::Persistent, None).await.unwrap();
    let children = eventually("every acknowledged write to be there", Duration::from_secs(10), || async {
        client.children("/acked").await.ok().map(|children| children.children)
    })
    .await;
    for name in &acknowledged {
        let child = name.trim_start_matches("/acked/");
        assert!(children.iter().any(|c| c == child), "{name} was acknowledged and is gone");
    }
    cluster.kill(full_node);
}
