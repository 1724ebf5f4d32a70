//! The kit's TLS over real sockets: a server from PEM files answers a client that trusts its CA
//! (and tells a plain-HTTP client to use https); with `--tls-client-ca` it serves only clients
//! with a certificate from that CA; and a certificate rotated on disk is served to the next
//! connection without a restart.

use std::path::{Path, PathBuf};
use std::time::Duration;

use axum::Router;
use corral_kit::tls::TlsFiles;
use corral_kit::SecurityArgs;
use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair};

/// A CA and a certificate it signed for 127.0.0.1, written as `<name>-ca.pem`, `<name>.pem`,
/// `<name>.key`.
fn issue(dir: &Path, name: &str) -> (PathBuf, PathBuf, PathBuf) {
    let ca_key = KeyPair::generate().unwrap();
    let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca.self_signed(&ca_key).unwrap();
    let key = KeyPair::generate().unwrap();
    let mut leaf = CertificateParams::new(vec!["127.0.0.1".to_string(), "localhost".to_string()]).unwrap();
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let leaf = leaf.signed_by(&key, &ca, &ca_key).unwrap();
    let paths = (dir.join(format!("{name}-ca.pem")), dir.join(format!("{name}.pem")), dir.join(format!("{name}.key")));
    std::fs::write(&paths.0, ca.pem()).unwrap();
    std::fs::write(&paths.1, leaf.pem()).unwrap();
    std::fs::write(&paths.2, key.serialize_pem()).unwrap();
    paths
}

async fn serve(files: TlsFiles) -> u16 {
    let listener = corral_kit::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = Router::new().route("/", axum::routing::get(|| async { "hello" }));
    let tls = files.server().unwrap();
    tokio::spawn(corral_kit::serve(listener, router, tls, std::future::pending()));
    port
}

/// A client as a service builds it from its flags.
fn client(ca: &Path, identity: Option<(&Path, &Path)>) -> reqwest::Client {
    let args = SecurityArgs {
        tls_ca: Some(ca.to_path_buf()),
        tls_cert: identity.map(|(cert, _)| cert.to_path_buf()),
        tls_key: identity.map(|(_, key)| key.to_path_buf()),
        ..SecurityArgs::default()
    };
    args.load().unwrap().client.http_client()
}

async fn get(client: &reqwest::Client, port: u16) -> Result<String, reqwest::Error> {
    client.get(format!("https://127.0.0.1:{port}/")).timeout(Duration::from_secs(5)).send().await?.text().await
}

#[tokio::test]
async fn a_client_that_trusts_the_ca_is_served_and_plain_http_is_told_to_use_https() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = issue(dir.path(), "a");
    let (other_ca, _, _) = issue(dir.path(), "b");
    let port = serve(TlsFiles { cert: Some(cert), key: Some(key), ..TlsFiles::default() }).await;

    assert_eq!(get(&client(&ca, None), port).await.unwrap(), "hello");
    assert!(get(&client(&other_ca, None), port).await.is_err(), "a CA the client does not trust");
    let plain = reqwest::get(format!("http://127.0.0.1:{port}/")).await.unwrap();
    assert_eq!(plain.status(), 400);
    assert!(plain.text().await.unwrap().contains("https://"));
}

#[tokio::test]
async fn with_a_client_ca_only_clients_with_its_certificates_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = issue(dir.path(), "a");
    let (_, stranger_cert, stranger_key) = issue(dir.path(), "b");
    let files = TlsFiles { cert: Some(cert.clone()), key: Some(key.clone()), client_ca: Some(ca.clone()), ca: None };
    let port = serve(files).await;

    assert!(get(&client(&ca, None), port).await.is_err(), "no client certificate");
    assert!(get(&client(&ca, Some((&stranger_cert, &stranger_key))), port).await.is_err(), "another CA's");
    assert_eq!(get(&client(&ca, Some((&cert, &key))), port).await.unwrap(), "hello");
}

#[tokio::test]
async fn a_certificate_rotated_on_disk_is_served_without_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (first_ca, cert, key) = issue(dir.path(), "a");
    let port = serve(TlsFiles { cert: Some(cert.clone()), key: Some(key.clone()), ..TlsFiles::default() }).await;
    assert_eq!(get(&client(&first_ca, None), port).await.unwrap(), "hello");

    let (second_ca, second_cert, second_key) = issue(dir.path(), "b");
    std::fs::copy(&second_cert, &cert).unwrap();
    std::fs::copy(&second_key, &key).unwrap();
    let mut served = None;
    for _ in 0..50 {
        if let Ok(text) = get(&client(&second_ca, None), port).await {
            served = Some(text);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(served.as_deref(), Some("hello"), "the new certificate is served within 5 s");
    assert!(get(&client(&first_ca, None), port).await.is_err(), "and the old one no longer");
}
