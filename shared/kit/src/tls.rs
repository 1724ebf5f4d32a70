//! TLS (rustls) for every listener and every client, from PEM files that are read again when
//! they change: a rotated certificate, key or CA is in use within a second, without a restart.
//! A server with `--tls-client-ca` asks every client for a certificate signed by that CA (mTLS);
//! a client presents `--tls-cert`/`--tls-key` when asked, and trusts only `--tls-ca`.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{ResolvesClientCert, WebPkiServerVerifier};
use rustls::crypto::CryptoProvider;
use rustls::server::WebPkiClientVerifier;
use rustls::sign::CertifiedKey;
use rustls::{ClientConfig, DigitallySignedStruct, RootCertStore, ServerConfig, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};

/// How often files are looked at for changes, at most.
const RELOAD_CHECK: Duration = Duration::from_secs(1);

/// Why TLS material could not be loaded; names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("{path}: {reason}")]
    File { path: PathBuf, reason: String },
    #[error("{0}")]
    Config(String),
}

/// The PEM files of one process, as its flags name them.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// This process's certificate chain: served by its listeners, presented to servers that ask.
    pub cert: Option<PathBuf>,
    pub key: Option<PathBuf>,
    /// The CA certificates this process trusts as a client.
    pub ca: Option<PathBuf>,
    /// When set, listeners require client certificates signed by these CAs.
    pub client_ca: Option<PathBuf>,
}

impl TlsFiles {
    /// The listeners' TLS, when this process has a certificate.
    pub fn server(&self) -> Result<Option<ServerTls>, TlsError> {
        let (Some(cert), Some(key)) = (&self.cert, &self.key) else { return Ok(None) };
        let (cert, key, client_ca) = (cert.clone(), key.clone(), self.client_ca.clone());
        let paths = [Some(cert.clone()), Some(key.clone()), client_ca.clone()].into_iter().flatten().collect();
        let config = Reloading::new(paths, move || server_config(&cert, &key, client_ca.as_deref()))?;
        Ok(Some(ServerTls { config: Arc::new(config) }))
    }

    /// The clients' TLS, when this process trusts a CA of its own (otherwise clients trust the
    /// usual public roots).
    pub fn client(&self) -> Result<Option<ClientConfig>, TlsError> {
        let Some(ca) = self.ca.clone() else { return Ok(None) };
        let roots = Reloading::new(vec![ca.clone()], move || {
            let roots = Arc::new(root_store(&ca)?);
            WebPkiServerVerifier::builder_with_provider(roots, provider())
                .build()
                .map_err(|error| TlsError::Config(format!("--tls-ca: {error}")))
        })?;
        let builder = ClientConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()
            .map_err(|error| TlsError::Config(error.to_string()))?
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(ReloadingVerifier(roots)));
        let mut config = match (&self.cert, &self.key) {
            (Some(cert), Some(key)) => {
                let (cert, key) = (cert.clone(), key.clone());
                let identity = Reloading::new(vec![cert.clone(), key.clone()], move || certified_key(&cert, &key))?;
                builder.with_client_cert_resolver(Arc::new(ReloadingIdentity(identity)))
            }
            _ => builder.with_no_client_auth(),
        };
        config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
        Ok(Some(config))
    }
}

/// A listener's TLS: each new connection is accepted with the configuration built from the
/// files as they are now.
#[derive(Clone)]
pub struct ServerTls {
    config: Arc<Reloading<Arc<ServerConfig>>>,
}

impl ServerTls {
    pub fn acceptor(&self) -> tokio_rustls::TlsAcceptor {
        tokio_rustls::TlsAcceptor::from(Arc::clone(&self.config.current()))
    }
}

impl fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerTls").field("files", &self.config.paths).finish()
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn server_config(cert: &Path, key: &Path, client_ca: Option<&Path>) -> Result<Arc<ServerConfig>, TlsError> {
    let builder = ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|error| TlsError::Config(error.to_string()))?;
    let builder = match client_ca {
        Some(client_ca) => {
            let roots = Arc::new(root_store(client_ca)?);
            let verifier = WebPkiClientVerifier::builder_with_provider(roots, provider())
                .build()
                .map_err(|error| TlsError::Config(format!("--tls-client-ca: {error}")))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certificates(cert)?, private_key(key)?)
        .map_err(|error| TlsError::File { path: key.to_path_buf(), reason: error.to_string() })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(Arc::new(config))
}

fn certificates(path: &Path) -> Result<Vec<CertificateDer<'static>>, TlsError> {
    let unreadable = |reason: String| TlsError::File { path: path.to_path_buf(), reason };
    let certificates = CertificateDer::pem_file_iter(path)
        .map_err(|error| unreadable(error.to_string()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| unreadable(error.to_string()))?;
    if certificates.is_empty() {
        return Err(unreadable("holds no PEM certificate".to_string()));
    }
    Ok(certificates)
}

fn private_key(path: &Path) -> Result<PrivateKeyDer<'static>, TlsError> {
    PrivateKeyDer::from_pem_file(path)
        .map_err(|error| TlsError::File { path: path.to_path_buf(), reason: format!("no usable private key: {error}") })
}

fn root_store(path: &Path) -> Result<RootCertStore, TlsError> {
    let mut roots = RootCertStore::empty();
    for certificate in certificates(path)? {
        roots
            .add(certificate)
            .map_err(|error| TlsError::File { path: path.to_path_buf(), reason: error.to_string() })?;
    }
    Ok(roots)
}

fn certified_key(cert: &Path, key: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let signing_key = provider()
        .key_provider
        .load_private_key(private_key(key)?)
        .map_err(|error| TlsError::File { path: key.to_path_buf(), reason: error.to_string() })?;
    Ok(Arc::new(CertifiedKey::new(certificates(cert)?, signing_key)))
}

/// A value built from files and built again when one of them changes. A rebuild that fails
/// (a half-written file) keeps the last good value and is tried again at the next check.
struct Reloading<T> {
    paths: Vec<PathBuf>,
    build: Box<dyn Fn() -> Result<T, TlsError> + Send + Sync>,
    state: Mutex<ReloadState<T>>,
}

struct ReloadState<T> {
    current: T,
    stamps: Vec<Option<SystemTime>>,
    checked: Instant,
}

impl<T: Clone> Reloading<T> {
    fn new(
        paths: Vec<PathBuf>,
        build: impl Fn() -> Result<T, TlsError> + Send + Sync + 'static,
    ) -> Result<Self, TlsError> {
        let stamps = modified(&paths);
        let current = build()?;
        let state = Mutex::new(ReloadState { current, stamps, checked: Instant::now() });
        Ok(Reloading { paths, build: Box::new(build), state })
    }

    fn current(&self) -> T {
        let mut state = self.state.lock().expect("TLS reload lock");
        if state.checked.elapsed() >= RELOAD_CHECK {
            state.checked = Instant::now();
            let stamps = modified(&self.paths);
            if stamps != state.stamps {
                match (self.build)() {
                    Ok(value) => {
                        tracing::info!(message = "TLS files changed: reloaded.", files = ?self.paths);
                        state.current = value;
                        state.stamps = stamps;
                    }
                    Err(error) => {
                        tracing::warn!(message = "TLS files changed but cannot be used; keeping the last good ones.", %error)
                    }
                }
            }
        }
        state.current.clone()
    }
}

fn modified(paths: &[PathBuf]) -> Vec<Option<SystemTime>> {
    paths.iter().map(|path| std::fs::metadata(path).and_then(|meta| meta.modified()).ok()).collect()
}

/// Verifies servers against the CA file as it is now.
struct ReloadingVerifier(Reloading<Arc<WebPkiServerVerifier>>);

impl fmt::Debug for ReloadingVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReloadingVerifier").field(&self.0.paths).finish()
    }
}

impl ServerCertVerifier for ReloadingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        self.0.current().verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.0.current().verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.current().supported_verify_schemes()
    }
}

/// Presents this process's certificate, as the files are now, to servers that ask for one.
struct ReloadingIdentity(Reloading<Arc<CertifiedKey>>);

impl fmt::Debug for ReloadingIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("ReloadingIdentity").field(&self.0.paths).finish()
    }
}

impl ResolvesClientCert for ReloadingIdentity {
    fn resolve(&self, _root_hint_subjects: &[&[u8]], _sigschemes: &[SignatureScheme]) -> Option<Arc<CertifiedKey>> {
        Some(self.0.current())
    }

    fn has_certs(&self) -> bool {
        true
    }
}
