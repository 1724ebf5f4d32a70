//! The TLS and auth flags every service takes, with the same names everywhere, and what they
//! load into: the listeners' TLS, the token checker, and the clients' TLS and bearer token.

use std::path::PathBuf;
use std::sync::Arc;

use axum::http::{header, HeaderValue};

use crate::auth::{Guard, Policy, Refuse, Verifier};
use crate::tls::{ServerTls, TlsFiles};

/// `--tls-cert`, `--tls-key`, `--tls-ca`, `--tls-client-ca`, `--jwt-secret-file`,
/// `--jwt-public-key`, `--token-file` (each with a `CORRAL_...` environment fallback).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct SecurityArgs {
    /// This process's certificate chain (PEM): its listeners serve TLS with it, and its clients
    /// present it to servers that ask for one. Re-read when the file changes.
    #[arg(long, env = "CORRAL_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key of `--tls-cert` (PEM).
    #[arg(long, env = "CORRAL_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// The CA certificates (PEM) this process trusts when it calls others over https; addresses
    /// without a scheme are then reached over https.
    #[arg(long, env = "CORRAL_TLS_CA")]
    pub tls_ca: Option<PathBuf>,
    /// Require client certificates signed by these CAs (PEM): mutual TLS.
    #[arg(long, env = "CORRAL_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Check bearer tokens (HS256) against the secret in this file.
    #[arg(long, env = "CORRAL_JWT_SECRET_FILE", conflicts_with = "jwt_public_key")]
    pub jwt_secret_file: Option<PathBuf>,
    /// Check bearer tokens (EdDSA or RS256) against this PEM public key.
    #[arg(long, env = "CORRAL_JWT_PUBLIC_KEY")]
    pub jwt_public_key: Option<PathBuf>,
    /// The bearer token this process sends when it calls other services.
    #[arg(long, env = "CORRAL_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
}

/// What the flags loaded.
#[derive(Debug, Clone, Default)]
pub struct Security {
    pub server_tls: Option<ServerTls>,
    pub verifier: Option<Arc<Verifier>>,
    pub client: ClientSecurity,
}

/// How this process calls others: over https with its own trust and identity when it has a CA,
/// with its bearer token when it has one.
#[derive(Clone, Default)]
pub struct ClientSecurity {
    tls: Option<rustls::ClientConfig>,
    token: Option<HeaderValue>,
}

impl std::fmt::Debug for ClientSecurity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientSecurity")
            .field("tls", &self.tls.is_some())
            .field("token", &self.token.as_ref().map(|_| "<hidden>"))
            .finish()
    }
}

/// A flag whose file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{flag}: {message}")]
pub struct SecurityError {
    pub flag: &'static str,
    pub message: String,
}

fn flag_error(flag: &'static str) -> impl Fn(&dyn std::fmt::Display) -> SecurityError {
    move |error| SecurityError { flag, message: error.to_string() }
}

impl SecurityArgs {
    /// Loads every file the flags name; the error names the flag and the file.
    pub fn load(&self) -> Result<Security, SecurityError> {
        let files = TlsFiles {
            cert: self.tls_cert.clone(),
            key: self.tls_key.clone(),
            ca: self.tls_ca.clone(),
            client_ca: self.tls_client_ca.clone(),
        };
        let server_tls = files.server().map_err(|error| flag_error("--tls-cert")(&error))?;
        let tls = files.client().map_err(|error| flag_error("--tls-ca")(&error))?;
        let verifier = match (&self.jwt_secret_file, &self.jwt_public_key) {
            (Some(path), _) => {
                Some(Verifier::from_secret_file(path).map_err(|error| flag_error("--jwt-secret-file")(&error))?)
            }
            (None, Some(path)) => {
                Some(Verifier::from_public_key_file(path).map_err(|error| flag_error("--jwt-public-key")(&error))?)
            }
            (None, None) => None,
        };
        let token = match &self.token_file {
            Some(path) => Some(read_token(path).map_err(|error| flag_error("--token-file")(&error))?),
            None => None,
        };
        Ok(Security { server_tls, verifier: verifier.map(Arc::new), client: ClientSecurity { tls, token } })
    }
}

fn read_token(path: &std::path::Path) -> Result<HeaderValue, String> {
    let text = std::fs::read_to_string(path).map_err(|error| format!("{}: {error}", path.display()))?;
    let token = text.trim();
    if token.is_empty() {
        return Err(format!("{}: is empty", path.display()));
    }
    let mut value = HeaderValue::try_from(format!("Bearer {token}"))
        .map_err(|_| format!("{}: is not a token (it holds characters a header cannot)", path.display()))?;
    value.set_sensitive(true);
    Ok(value)
}

impl Security {
    /// `https` when this process's listeners serve TLS, else `http`: the scheme of the URLs it
    /// gives out for itself.
    pub fn own_scheme(&self) -> &'static str {
        if self.server_tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// The middleware state for a router with `policy`, answering refusals with `refuse`.
    pub fn guard(&self, policy: Policy, refuse: Refuse) -> Guard {
        Guard { verifier: self.verifier.clone(), policy, refuse }
    }
}

impl ClientSecurity {
    /// `https` when this process trusts a CA of its own, else `http`: the scheme of addresses
    /// given or discovered without one.
    pub fn scheme(&self) -> &'static str {
        if self.tls.is_some() {
            "https"
        } else {
            "http"
        }
    }

    /// `http://` or `https://` before a `host:port`, as [`ClientSecurity::scheme`] says.
    pub fn url(&self, address: &str) -> String {
        format!("{}://{address}", self.scheme())
    }

    /// A client for calls to other Corral services: this process's TLS and bearer token on
    /// every request.
    pub fn http_client(&self) -> reqwest::Client {
        let mut builder = self.tls_client_builder();
        if let Some(token) = &self.token {
            builder = builder.default_headers([(header::AUTHORIZATION, token.clone())].into_iter().collect());
        }
        builder.build().expect("the HTTP client configuration is valid")
    }

    /// A client with this process's TLS but no token of its own, for calls made on someone
    /// else's behalf: they carry the caller's token, or none, never this process's rights.
    pub fn http_client_for_callers(&self) -> reqwest::Client {
        self.tls_client_builder().build().expect("the HTTP client configuration is valid")
    }

    fn tls_client_builder(&self) -> reqwest::ClientBuilder {
        let builder = crate::http_client::builder();
        match &self.tls {
            Some(tls) => builder.use_preconfigured_tls(tls.clone()),
            None => builder,
        }
    }
}
