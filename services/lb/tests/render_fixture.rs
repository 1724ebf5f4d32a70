//! `corral-lb render --apps` on a saved `GET /v2/apps?embed=apps.tasks` answer that uses every
//! label corral-lb reads (tests/fixtures/apps.json): Debian's HAProxy (`haproxy -c`) accepts the
//! config as it is, and the apps whose labels are bad are named on stderr and left out.

use std::path::Path;
use std::process::Command;

/// A certificate and its key in one PEM file, as HAProxy reads them.
fn write_certificate(path: &Path, name: &str) {
    let generated = rcgen::generate_simple_self_signed(vec![name.to_string()]).unwrap();
    std::fs::write(path, format!("{}{}", generated.cert.pem(), generated.key_pair.serialize_pem())).unwrap();
}

#[test]
fn a_rendered_config_runs_as_it_is() {
    let dir = tempfile::tempdir().unwrap();
    let certs = dir.path().join("certs");
    std::fs::create_dir(&certs).unwrap();
    write_certificate(&certs.join("web.pem"), "web.test");
    write_certificate(&certs.join("secure.pem"), "secure.test");
    let fixture = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/apps.json")).unwrap();
    let apps = dir.path().join("apps.json");
    std::fs::write(&apps, fixture.replace("CERTS_DIR", &certs.display().to_string())).unwrap();

    let output = Command::new(env!("CARGO_BIN_EXE_corral-lb"))
        .args(["render", "--apps", apps.to_str().unwrap(), "--certs-dir", certs.to_str().unwrap()])
        .args(["--http-port", "18080", "--https-port", "18443", "--stats-port", "19090"])
        .output()
        .unwrap();
    let (config, stderr) = (String::from_utf8(output.stdout).unwrap(), String::from_utf8(output.stderr).unwrap());
    assert!(output.status.success(), "{stderr}");
    for expected in [
        "use_backend api_10001 if host_api_10001 path_api_10001",
        "bind :18443 ssl crt ",
        "use_backend web_10000 if sni_web_10000",
        "bind 127.0.0.1:15432",
        "option httpchk GET /health",
        "http-request add-header X-Forwarded-Proto \"https\" if { ssl_fc }",
        "cookie corral_server_id insert indirect nocache",
        "http-request redirect scheme https code 301 if host_web_10000",
    ] {
        assert!(config.contains(expected), "{expected:?} missing:\n{config}");
    }
    for left_out in [
        "left out /evil: label HAPROXY_0_VHOST",
        "left out /old: label HAPROXY_0_BACKEND_HTTP_OPTIONS",
        "left out /xclash: port 15432 is already bound for /db",
    ] {
        assert!(stderr.contains(left_out), "{left_out:?} not in {stderr}");
    }
    assert!(!config.contains("bind :1\n") && !config.contains("reqirep"), "{config}");

    let file = dir.path().join("haproxy.cfg");
    std::fs::write(&file, &config).unwrap();
    let check = Command::new("haproxy")
        .args(["-c", "-f", file.to_str().unwrap()])
        .output()
        .expect("HAProxy must be installed for this test (`apt-get install haproxy`; .ci/run installs it)");
    assert!(check.status.success(), "haproxy -c refused:\n{}", String::from_utf8_lossy(&check.stderr));
}
