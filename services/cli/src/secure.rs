//! What `corral up --secure` runs with, under `<dir>`: a CA and one certificate for every
//! process (rcgen), the token secret, an admin token, and a token per service with only the
//! roles it needs. Files that exist are kept, so tokens handed out stay valid across restarts.
//!
//! ```text
//! <dir>/tls/ca.pem, ca.key        the CA (clients trust ca.pem: curl --cacert)
//! <dir>/tls/node.pem, node.key    every listener's certificate, also its client identity
//! <dir>/jwt.secret                HS256 secret every service checks tokens with
//! <dir>/admin.token               a token with the admin role, for the operator
//! <dir>/tokens/<service>.token    what each service presents when it calls another
//! ```

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use corral_kit::auth::{unix_seconds, Issuer, Role};
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair,
    KeyUsagePurpose,
};

/// How long generated certificates and tokens are valid.
const VALIDITY: Duration = Duration::from_secs(365 * 24 * 3600);

/// The roles each service's token carries.
const SERVICE_ROLES: [(&str, &[Role]); 5] = [
    // Raft and forwarding between coordinators.
    ("coordinator", &[Role::Peer]),
    // The registry and the election in the coordinator.
    ("master", &[Role::Deploy]),
    // Its state in the coordinator, and the scheduler API.
    ("marathon", &[Role::Deploy]),
    // The agent protocol, and finding the master in the coordinator.
    ("agent", &[Role::Agent, Role::Read]),
    // Reading marathon's apps, and its membership and drain confirmations in the coordinator.
    ("lb", &[Role::Deploy]),
];

/// The files of a secured cluster under one directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecureFiles {
    dir: PathBuf,
}

impl SecureFiles {
    pub(crate) fn in_dir(dir: &Path) -> Self {
        SecureFiles { dir: dir.to_path_buf() }
    }

    pub(crate) fn ca(&self) -> PathBuf {
        self.dir.join("tls/ca.pem")
    }

    fn ca_key(&self) -> PathBuf {
        self.dir.join("tls/ca.key")
    }

    fn cert(&self) -> PathBuf {
        self.dir.join("tls/node.pem")
    }

    fn key(&self) -> PathBuf {
        self.dir.join("tls/node.key")
    }

    fn secret(&self) -> PathBuf {
        self.dir.join("jwt.secret")
    }

    pub(crate) fn admin_token(&self) -> PathBuf {
        self.dir.join("admin.token")
    }

    fn token(&self, service: &str) -> PathBuf {
        self.dir.join(format!("tokens/{service}.token"))
    }

    /// The TLS and token flags of `service` (`coordinator`, `master`, `marathon`, `agent`, `lb`).
    pub(crate) fn flags(&self, service: &str) -> Vec<String> {
        let path = |path: PathBuf| path.display().to_string();
        vec![
            "--tls-cert".into(),
            path(self.cert()),
            "--tls-key".into(),
            path(self.key()),
            "--tls-ca".into(),
            path(self.ca()),
            "--jwt-secret-file".into(),
            path(self.secret()),
            "--token-file".into(),
            path(self.token(service)),
        ]
    }

    /// Writes whatever is missing: the CA and the certificate (for `names`, with 127.0.0.1 and
    /// localhost), the secret, the admin token and the services' tokens.
    pub(crate) fn ensure(&self, names: &[String]) -> anyhow::Result<()> {
        std::fs::create_dir_all(self.dir.join("tls"))?;
        std::fs::create_dir_all(self.dir.join("tokens"))?;
        if !self.ca().exists() || !self.cert().exists() {
            self.write_certificates(names)?;
        }
        if !self.secret().exists() {
            write_private(&self.secret(), &random_secret())?;
        }
        let issuer = Issuer::from_secret_file(&self.secret())?;
        let issue = |subject: &str, roles: &[Role], path: PathBuf| -> anyhow::Result<()> {
            if !path.exists() {
                write_private(&path, &issuer.issue(subject, roles, unix_seconds(), VALIDITY)?)?;
            }
            Ok(())
        };
        issue("admin", &[Role::Admin], self.admin_token())?;
        for (service, roles) in SERVICE_ROLES {
            issue(service, roles, self.token(service))?;
        }
        Ok(())
    }

    fn write_certificates(&self, names: &[String]) -> anyhow::Result<()> {
        let ca_key = KeyPair::generate()?;
        let mut ca = CertificateParams::new(Vec::<String>::new())?;
        ca.distinguished_name = distinguished_name("Corral local CA");
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
        let ca_cert = ca.self_signed(&ca_key)?;

        let mut subject_names = vec!["localhost".to_string(), "127.0.0.1".to_string()];
        subject_names.extend(names.iter().filter(|name| !subject_names.contains(name)).cloned().collect::<Vec<_>>());
        let node_key = KeyPair::generate()?;
        let mut node = CertificateParams::new(subject_names)?;
        node.distinguished_name = distinguished_name("corral");
        node.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyEncipherment];
        node.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
        let node_cert = node.signed_by(&node_key, &ca_cert, &ca_key)?;

        std::fs::write(self.ca(), ca_cert.pem()).with_context(|| self.ca().display().to_string())?;
        write_private(&self.ca_key(), &ca_key.serialize_pem())?;
        std::fs::write(self.cert(), node_cert.pem()).with_context(|| self.cert().display().to_string())?;
        write_private(&self.key(), &node_key.serialize_pem())?;
        Ok(())
    }
}

fn distinguished_name(common_name: &str) -> DistinguishedName {
    let mut name = DistinguishedName::new();
    name.push(DnType::CommonName, common_name);
    name
}

/// 32 random bytes, hex: the HS256 secret.
fn random_secret() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Writes a file only its owner can read.
pub(crate) fn write_private(path: &Path, text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    file.write_all(b"\n")?;
    Ok(())
}

/// A duration such as `24h`, `30m`, `7d` or `3600s` (a bare number is seconds).
pub(crate) fn parse_ttl(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().map_err(|_| format!("`{text}` is not a duration such as 24h, 30m or 7d"))?;
    let seconds = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        _ => return Err(format!("`{text}`: the unit must be s, m, h or d")),
    };
    match number.checked_mul(seconds) {
        Some(0) => Err("the ttl must be above 0".to_string()),
        Some(seconds) => Ok(Duration::from_secs(seconds)),
        None => Err(format!("`{text}` is too long")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_read_as_operators_write_them() {
        assert_eq!(parse_ttl("24h"), Ok(Duration::from_secs(86_400)));
        assert_eq!(parse_ttl("30m"), Ok(Duration::from_secs(1_800)));
        assert_eq!(parse_ttl("7d"), Ok(Duration::from_secs(604_800)));
        assert_eq!(parse_ttl("90"), Ok(Duration::from_secs(90)));
        for bad in ["", "h", "0h", "1w", "-1h", "99999999999999999999d"] {
            assert!(parse_ttl(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn generated_files_verify_each_other_and_survive_a_second_run() {
        let dir = tempfile::tempdir().unwrap();
        let files = SecureFiles::in_dir(dir.path());
        files.ensure(&["node-a".to_string()]).unwrap();
        let admin = std::fs::read_to_string(files.admin_token()).unwrap();
        let verifier = corral_kit::auth::Verifier::from_secret_file(&files.secret()).unwrap();
        assert_eq!(verifier.verify(admin.trim()).unwrap().roles, vec![Role::Admin]);
        assert_eq!(
            verifier.verify(std::fs::read_to_string(files.token("agent")).unwrap().trim()).unwrap().sub,
            "agent"
        );
        let tls = corral_kit::tls::TlsFiles {
            cert: Some(files.cert()),
            key: Some(files.key()),
            ca: Some(files.ca()),
            client_ca: Some(files.ca()),
        };
        assert!(tls.server().unwrap().is_some() && tls.client().unwrap().is_some());
        files.ensure(&[]).unwrap();
        assert_eq!(std::fs::read_to_string(files.admin_token()).unwrap(), admin, "kept");
    }
}
