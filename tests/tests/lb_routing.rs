//! corral-lb with Debian's HAProxy in front of real marathon tasks: an app labelled
//! `HAPROXY_GROUP=external` and `HAPROXY_0_VHOST=web.test` is reached by Host on the HTTP port
//! (both tasks answer) and on its service port; HTTPS picks each vhost's certificate by SNI, and
//! certificates dropped into `--certs-dir` are loaded without a reload.

use std::net::SocketAddr;
use std::time::Duration;

use corral_testkit::{
    eventually, free_port, port_echo_app, running_ports, LbProcess, MarathonCluster, MarathonClusterOptions,
};
use serde_json::json;

/// A CA, and certificates it signed for one name each, as HAProxy reads them (chain and key).
struct TestCa {
    key: rcgen::KeyPair,
    cert: rcgen::Certificate,
}

impl TestCa {
    fn new() -> TestCa {
        let key = rcgen::KeyPair::generate().unwrap();
        let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        params.distinguished_name.push(rcgen::DnType::CommonName, "Corral test CA");
        let cert = params.self_signed(&key).unwrap();
        TestCa { key, cert }
    }

    fn issue(&self, name: &str) -> String {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec![name.to_string()])
            .unwrap()
            .signed_by(&key, &self.cert, &self.key)
            .unwrap();
        format!("{}{}", cert.pem(), key.serialize_pem())
    }

    /// A client that trusts only this CA and sends `name` (SNI) to `addr`.
    fn client(&self, name: &str, addr: SocketAddr) -> reqwest::Client {
        reqwest::Client::builder()
            .tls_built_in_root_certs(false)
            .add_root_certificate(reqwest::Certificate::from_pem(self.cert.pem().as_bytes()).unwrap())
            .resolve(name, addr)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap()
    }
}

#[tokio::test]
async fn vhosts_service_ports_and_sni_route_to_every_task() {
    let cluster = MarathonCluster::start(MarathonClusterOptions::default()).await;
    let lb = LbProcess::start(&cluster, &[]).await;
    let service_port = free_port();
    let labels =
        json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "web.test", "HAPROXY_0_PORT": service_port.to_string()});
    let (status, _, body) = cluster.post_app(&port_echo_app("/web", 2, labels)).await;
    assert_eq!(status, 201, "{body}");
    let ports = running_ports(&cluster.wait_for_running("/web", 2).await);

    // By Host on the HTTP port: both tasks answer.
    lb.wait_until_routed("web.test", &ports).await;
    let (status, _) = lb.get("unknown.test", "/port.txt").await;
    assert_eq!(status, 503, "a host no app claims is not routed");
    // On the service port, whatever the Host.
    let answer = reqwest::get(format!("http://127.0.0.1:{service_port}/port.txt")).await.unwrap();
    assert_eq!(answer.status(), 200);
    assert!(answer.text().await.unwrap().trim().parse().is_ok_and(|port: u16| ports.contains(&port)));

    // HAProxy's own pages on the stats port: its health check, stats and Prometheus metrics.
    let stats = format!("http://127.0.0.1:{}", lb.stats_port);
    assert_eq!(reqwest::get(format!("{stats}/_haproxy_health_check")).await.unwrap().status(), 200);
    let page = reqwest::get(format!("{stats}/haproxy?stats;csv")).await.unwrap().text().await.unwrap();
    assert!(page.lines().any(|line| line.starts_with("web_")), "the stats list the app's backend:\n{page}");
    let metrics = reqwest::get(format!("{stats}/metrics")).await.unwrap().text().await.unwrap();
    assert!(metrics.contains("haproxy_backend_active_servers{proxy=\"web_"), "Prometheus metrics of the backend");

    // Certificates dropped into --certs-dir are loaded at runtime, without a reload.
    let reloads = lb.status_count("reloads").await;
    let ca = TestCa::new();
    std::fs::write(lb.certs_dir.join("web.pem"), ca.issue("web.test")).unwrap();
    std::fs::write(lb.certs_dir.join("api.pem"), ca.issue("api.test")).unwrap();
    eventually("both certificates loaded", Duration::from_secs(10), || async {
        (lb.status_count("certificates_loaded").await >= 2).then_some(())
    })
    .await;
    assert_eq!(lb.status_count("reloads").await, reloads, "a certificate must not cost a reload");

    // A second vhost. Each certificate names one host and the client checks the name, so both
    // answering proves SNI picked each vhost's own certificate.
    let labels = json!({"HAPROXY_GROUP": "external", "HAPROXY_0_VHOST": "api.test"});
    assert_eq!(cluster.post_app(&port_echo_app("/api", 1, labels)).await.0, 201);
    let api_ports = running_ports(&cluster.wait_for_running("/api", 1).await);
    lb.wait_until_routed("api.test", &api_ports).await;
    let https: SocketAddr = format!("127.0.0.1:{}", lb.https_port).parse().unwrap();
    for (name, expected) in [("web.test", &ports), ("api.test", &api_ports)] {
        let client = ca.client(name, https);
        let answer = client.get(format!("https://{name}:{}/port.txt", lb.https_port)).send().await;
        let answer = answer.unwrap_or_else(|error| panic!("https://{name}: {error:?}\n{}", lb.log_tail()));
        assert_eq!(answer.status(), 200, "https://{name}");
        let port: u16 = answer.text().await.unwrap().trim().parse().unwrap();
        assert!(expected.contains(&port), "https://{name} reached another app");
    }
}
