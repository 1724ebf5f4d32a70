//! marathon-lb's labels, read for one service port of one app and checked before anything of
//! them can reach a config.
//!
//! marathon-lb pastes label values into `haproxy.cfg` as they are, so a newline in a value adds a
//! directive and a space in a host name adds an ACL. Here every value is parsed into a typed
//! field (a host name, a path, a port, a known balance algorithm, ...) and anything else is
//! refused with a reason that names the label. Pure: no IO.

use std::collections::BTreeMap;
use std::net::IpAddr;

use crate::template::{backend_http_options, TemplateError};

/// How HAProxy treats a service's traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Mode {
    Tcp,
    Http,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Tcp => "tcp",
            Mode::Http => "http",
        }
    }
}

/// HAProxy's balance algorithms that take no argument.
const BALANCE_ALGORITHMS: &[&str] = &["roundrobin", "static-rr", "leastconn", "first", "source", "random", "uri"];

/// marathon-lb's whole-template overrides. Only `BACKEND_HTTP_OPTIONS` is understood (its lines
/// are checked one by one); the others would paste raw config and are refused.
const TEMPLATE_LABELS: &[&str] = &[
    "BACKEND_HEAD",
    "BACKEND_HTTP_HEALTHCHECK_OPTIONS",
    "BACKEND_TCP_HEALTHCHECK_OPTIONS",
    "BACKEND_SERVER_OPTIONS",
    "BACKEND_SERVER_HTTP_HEALTHCHECK_OPTIONS",
    "BACKEND_SERVER_TCP_HEALTHCHECK_OPTIONS",
    "BACKEND_STICKY_OPTIONS",
    "BACKEND_REDIRECT_HTTP_TO_HTTPS",
    "FRONTEND_HEAD",
    "FRONTEND_BACKEND_GLUE",
    "HTTP_FRONTEND_ACL",
    "HTTP_FRONTEND_ACL_WITH_PATH",
    "HTTP_FRONTEND_ACL_ONLY",
    "HTTP_FRONTEND_ROUTING_ONLY",
    "HTTP_FRONTEND_APPID_ACL",
    "HTTPS_FRONTEND_ACL",
    "HTTPS_FRONTEND_ACL_WITH_PATH",
    "HTTP_BACKEND_PROXYPASS_GLUE",
    "HTTP_BACKEND_REVERSEPROXY_GLUE",
    "HTTP_BACKEND_REDIR",
];

/// The labels of one service port, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortLabels {
    /// The lb groups this port is exposed in; empty: not exposed (unless the lb takes `*`).
    pub groups: Vec<String>,
    pub enabled: bool,
    pub vhosts: Vec<String>,
    pub path: Option<String>,
    pub mode: Option<Mode>,
    pub port: Option<u16>,
    pub bind_addr: Option<IpAddr>,
    pub balance: Option<String>,
    pub redirect_to_https: bool,
    pub ssl_cert: Option<String>,
    pub sticky: bool,
    pub backend_weight: i32,
    /// Extra backend lines from `HAPROXY_{n}_BACKEND_HTTP_OPTIONS`, checked and rewritten.
    pub http_options: Option<Vec<String>>,
}

/// Why a label was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("label {label}: {reason}")]
pub struct LabelError {
    pub label: String,
    pub reason: String,
}

impl LabelError {
    fn new(label: &str, reason: impl Into<String>) -> LabelError {
        LabelError { label: label.to_string(), reason: reason.into() }
    }
}

/// Reads the labels of service port `index` (`HAPROXY_{index}_*`, and the app-wide
/// `HAPROXY_GROUP` as the port's group when it has none of its own).
pub fn port_labels(labels: &BTreeMap<String, String>, index: usize) -> Result<PortLabels, LabelError> {
    let prefix = format!("HAPROXY_{index}_");
    // This port's labels, found with one pass over the sorted map; each is named in errors only.
    let mine: Vec<(&str, &String)> = labels
        .range(prefix.clone()..)
        .take_while(|(key, _)| key.starts_with(&prefix))
        .map(|(key, value)| (&key[prefix.len()..], value))
        .collect();
    let own =
        |name: &str| mine.iter().find(|(key, _)| *key == name).map(|(_, value)| (format!("{prefix}{name}"), *value));
    refuse_templates(labels, &mine, &prefix)?;

    let groups = match own("GROUP").or_else(|| labels.get("HAPROXY_GROUP").map(|v| ("HAPROXY_GROUP".into(), v))) {
        Some((label, value)) => {
            parse_list(&label, value, is_group_name, "a group name of letters, digits, '-', '_' or '.'")?
        }
        None => Vec::new(),
    };
    let vhosts = match own("VHOST") {
        Some((label, value)) => parse_list(&label, value, is_host_name, "a host name (letters, digits, '-' and '.')")?,
        None => Vec::new(),
    };
    let path = own("PATH").map(|(label, value)| parse_path(&label, value)).transpose()?;
    let mode = own("MODE")
        .map(|(label, value)| match value.trim() {
            "tcp" => Ok(Mode::Tcp),
            "http" => Ok(Mode::Http),
            other => Err(LabelError::new(&label, format!("{other:?} is not a mode: use tcp or http"))),
        })
        .transpose()?;
    let port = own("PORT").map(|(label, value)| parse_port(&label, value)).transpose()?;
    let bind_addr = own("BIND_ADDR")
        .map(|(label, value)| {
            value
                .trim()
                .parse::<IpAddr>()
                .map_err(|_| LabelError::new(&label, format!("{value:?} is not an IP address")))
        })
        .transpose()?;
    let balance = own("BALANCE")
        .map(|(label, value)| {
            let value = value.trim();
            match BALANCE_ALGORITHMS.contains(&value) {
                true => Ok(value.to_string()),
                false => Err(LabelError::new(
                    &label,
                    format!("{value:?} is not a balance algorithm: use one of {}", BALANCE_ALGORITHMS.join(", ")),
                )),
            }
        })
        .transpose()?;
    let ssl_cert = own("SSL_CERT").map(|(label, value)| parse_cert_path(&label, value)).transpose()?;
    let backend_weight = own("BACKEND_WEIGHT")
        .map(|(label, value)| {
            value.trim().parse::<i32>().map_err(|_| LabelError::new(&label, format!("{value:?} is not an integer")))
        })
        .transpose()?
        .unwrap_or(0);
    let http_options = own("BACKEND_HTTP_OPTIONS")
        .map(|(label, value)| {
            backend_http_options(value)
                .map_err(|TemplateError { line, reason }| LabelError::new(&label, format!("line {line:?}: {reason}")))
        })
        .transpose()?;
    let flag = |name: &str, default: bool| own(name).map_or(Ok(default), |(label, value)| parse_bool(&label, value));

    let parsed = PortLabels {
        groups,
        enabled: flag("ENABLED", true)?,
        vhosts,
        path,
        mode,
        port,
        bind_addr,
        balance,
        redirect_to_https: flag("REDIRECT_TO_HTTPS", false)?,
        ssl_cert,
        sticky: flag("STICKY", false)?,
        backend_weight,
        http_options,
    };
    if parsed.path.is_some() && parsed.vhosts.is_empty() {
        return Err(LabelError::new(
            &format!("{prefix}PATH"),
            format!("needs {prefix}VHOST: paths are routed per host"),
        ));
    }
    if parsed.mode == Some(Mode::Tcp) && !parsed.vhosts.is_empty() {
        return Err(LabelError::new(&format!("{prefix}MODE"), format!("tcp cannot route {prefix}VHOST: use http")));
    }
    Ok(parsed)
}

/// Refuses marathon-lb's whole-template overrides for this port (`mine`, named without the
/// prefix) and the app-wide ones.
fn refuse_templates(
    labels: &BTreeMap<String, String>,
    mine: &[(&str, &String)],
    prefix: &str,
) -> Result<(), LabelError> {
    let app_wide = labels.keys().filter_map(|key| key.strip_prefix("HAPROXY_")).map(|name| (name, "HAPROXY_"));
    let found =
        mine.iter().map(|(name, _)| (*name, prefix)).chain(app_wide).find(|(name, _)| TEMPLATE_LABELS.contains(name));
    match found {
        Some((name, prefix)) => Err(LabelError::new(
            &format!("{prefix}{name}"),
            "template overrides paste raw HAProxy config and are not accepted; \
             use the labels (VHOST, PATH, MODE, BALANCE, STICKY, ...) or BACKEND_HTTP_OPTIONS",
        )),
        None => Ok(()),
    }
}

fn parse_list(label: &str, value: &str, valid: fn(&str) -> bool, expected: &str) -> Result<Vec<String>, LabelError> {
    let mut items = Vec::new();
    for item in value.split(',').map(str::trim).filter(|item| !item.is_empty()) {
        if !valid(item) {
            return Err(LabelError::new(label, format!("{item:?} is not {expected}")));
        }
        items.push(item.to_ascii_lowercase());
    }
    match items.is_empty() {
        true => Err(LabelError::new(label, "is empty")),
        false => Ok(items),
    }
}

fn is_group_name(name: &str) -> bool {
    name.len() <= 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) || name == "*"
}

/// A DNS name: labels of letters, digits and hyphens, not starting or ending with a hyphen.
fn is_host_name(name: &str) -> bool {
    name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        })
}

fn parse_path(label: &str, value: &str) -> Result<String, LabelError> {
    let path = value.trim();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"/-._~%!$&()*+,;=:@".contains(&b);
    if !path.starts_with('/') || path.len() > 1024 || !path.bytes().all(allowed) {
        return Err(LabelError::new(
            label,
            format!("{path:?} is not a URL path starting with '/' (no spaces or quotes)"),
        ));
    }
    Ok(path.to_string())
}

fn parse_port(label: &str, value: &str) -> Result<u16, LabelError> {
    match value.trim().parse::<u16>() {
        Ok(port) if port > 0 => Ok(port),
        _ => Err(LabelError::new(label, format!("{value:?} is not a port (1-65535)"))),
    }
}

fn parse_cert_path(label: &str, value: &str) -> Result<String, LabelError> {
    let path = value.trim();
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"/-._".contains(&b);
    if !path.starts_with('/') || path.contains("..") || !path.bytes().all(allowed) {
        return Err(LabelError::new(
            label,
            format!("{path:?} is not an absolute file path of letters, digits, '/', '-', '_' and '.'"),
        ));
    }
    Ok(path.to_string())
}

fn parse_bool(label: &str, value: &str) -> Result<bool, LabelError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err(LabelError::new(label, format!("{value:?} is not true or false"))),
    }
}
