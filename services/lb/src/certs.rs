//! The HTTPS frontend's certificates: a crt-list in the work dir naming the `*.pem` files of
//! `--certs-dir` (each a chain and its key; SNI picks by the names in them, the first is the
//! default), the certificates apps name in `HAPROXY_{n}_SSL_CERT`, and, when no certificate is
//! given, one generated at first start so that `https://` works out of the box.
//!
//! A certificate dropped into the directory later is added to the running HAProxy through the
//! runtime API (`new ssl cert`, `set ssl cert`, `commit ssl cert`, `add ssl crt-list`) and to the
//! crt-list file, so no reload is needed and the next reload keeps it; a changed file is replaced
//! the same way.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::haproxy::{write_atomically, Haproxy, HaproxyError};

/// The crt-list the HTTPS frontend binds with, in the work dir.
pub const CRT_LIST: &str = "crt-list.txt";
/// The certificate generated when none is given, in the work dir.
const DEFAULT_CERT: &str = "default.pem";

/// The certificates HAProxy was given, and their contents.
pub struct Certificates {
    work_dir: PathBuf,
    certs_dir: Option<PathBuf>,
    /// Every certificate in the crt-list, in order, with the contents HAProxy has.
    loaded: Vec<(PathBuf, Vec<u8>)>,
}

impl Certificates {
    /// Reads `--certs-dir` (generating the default certificate when it gives none) and writes
    /// the crt-list with them and `app_certs`.
    pub async fn prepare(
        work_dir: &Path,
        certs_dir: Option<&Path>,
        app_certs: &[String],
    ) -> Result<Certificates, HaproxyError> {
        let mut certificates = Certificates {
            work_dir: work_dir.to_path_buf(),
            certs_dir: certs_dir.map(Path::to_path_buf),
            loaded: Vec::new(),
        };
        let found = certificates.scan().await;
        if found.is_empty() {
            let path = work_dir.join(DEFAULT_CERT);
            if tokio::fs::metadata(&path).await.is_err() {
                let pem = generate_default()?;
                write_atomically(&path, pem.as_bytes()).await?;
                tracing::info!(message = "Generated a default certificate for HTTPS.", path = %path.display());
            }
            let contents =
                tokio::fs::read(&path).await.map_err(|e| HaproxyError::Io(format!("{}: {e}", path.display())))?;
            certificates.loaded.push((path, contents));
        }
        certificates.loaded.extend(found);
        certificates.write_list(app_certs).await?;
        Ok(certificates)
    }

    /// Rewrites the crt-list: the lb's certificates, then the apps' (before a reload that needs them).
    pub async fn write_list(&self, app_certs: &[String]) -> Result<(), HaproxyError> {
        let mut lines: Vec<String> = self.loaded.iter().map(|(path, _)| path.display().to_string()).collect();
        for cert in app_certs {
            if !lines.contains(cert) {
                lines.push(cert.clone());
            }
        }
        write_atomically(&self.work_dir.join(CRT_LIST), format!("{}\n", lines.join("\n")).as_bytes()).await
    }

    /// Adds new and replaces changed certificates of `--certs-dir` in the running HAProxy.
    /// Returns how many changed.
    pub async fn refresh(&mut self, haproxy: &Haproxy, app_certs: &[String]) -> Result<usize, HaproxyError> {
        let list = self.work_dir.join(CRT_LIST).display().to_string();
        let mut changed = 0;
        for (path, contents) in self.scan().await {
            let known = self.loaded.iter().position(|(loaded, _)| *loaded == path);
            if known.is_some_and(|at| self.loaded[at].1 == contents) {
                continue;
            }
            let name = path.display().to_string();
            let pem = String::from_utf8_lossy(&contents);
            if known.is_none() {
                // "already exists": a store an earlier, interrupted attempt created.
                expect(haproxy, &format!("new ssl cert {name}"), &["New empty certificate store", "already exists"])
                    .await?;
            }
            // A payload ends with an empty line.
            expect(haproxy, &format!("set ssl cert {name} <<\n{}\n\n", pem.trim_end()), &["Transaction"]).await?;
            expect(haproxy, &format!("commit ssl cert {name}"), &["Success"]).await?;
            match known {
                Some(at) => self.loaded[at].1 = contents,
                None => {
                    expect(haproxy, &format!("add ssl crt-list {list} {name}"), &["Success"]).await?;
                    self.loaded.push((path, contents));
                }
            }
            tracing::info!(message = "Certificate loaded without a reload.", path = %name, new = known.is_none());
            changed += 1;
        }
        if changed > 0 {
            self.write_list(app_certs).await?;
        }
        Ok(changed)
    }

    /// The `*.pem` files of `--certs-dir`, sorted by name, with their contents.
    async fn scan(&self) -> Vec<(PathBuf, Vec<u8>)> {
        let Some(dir) = &self.certs_dir else { return Vec::new() };
        let mut found = BTreeMap::new();
        if let Ok(mut entries) = tokio::fs::read_dir(dir).await {
            while let Ok(Some(entry)) = entries.next_entry().await {
                let path = entry.path();
                if path.extension().is_some_and(|ext| ext == "pem") {
                    if let Ok(contents) = tokio::fs::read(&path).await {
                        let absolute = std::path::absolute(&path).unwrap_or(path);
                        found.insert(absolute, contents);
                    }
                }
            }
        }
        found.into_iter().collect()
    }
}

/// Runs a runtime API command whose success answer contains one of `success`.
async fn expect(haproxy: &Haproxy, command: &str, success: &[&str]) -> Result<(), HaproxyError> {
    let answer = haproxy.runtime(command).await?;
    match success.iter().any(|marker| answer.contains(marker)) {
        true => Ok(()),
        false => {
            let first = command.lines().next().unwrap_or_default();
            Err(HaproxyError::Io(format!("`{first}`: {}", answer.trim())))
        }
    }
}

/// A self-signed certificate for `localhost` and the machine's name, with its key, in one PEM.
fn generate_default() -> Result<String, HaproxyError> {
    let names = vec!["localhost".to_string(), corral_kit::local_hostname()];
    let generated = rcgen::generate_simple_self_signed(names)
        .map_err(|error| HaproxyError::Io(format!("generating the default certificate: {error}")))?;
    Ok(format!("{}{}", generated.cert.pem(), generated.key_pair.serialize_pem()))
}
