//! `HOST:PORT` addresses as the services' `--advertise` flags take them, and the address a
//! service advertises when the flag is left out.

use std::net::SocketAddr;

/// `host:port` (a port above 0, a host without `/`), trimmed.
pub fn parse_host_port(text: &str) -> Result<(String, u16), String> {
    let text = text.trim();
    let (host, port) = text.rsplit_once(':').ok_or_else(|| format!("`{text}` is not HOST:PORT"))?;
    let port = port.parse::<u16>().ok().filter(|port| *port > 0).ok_or_else(|| format!("`{port}` is not a port"))?;
    if host.is_empty() || host.contains('/') {
        return Err(format!("`{text}` has no host"));
    }
    Ok((host.to_string(), port))
}

/// How others reach a service: `advertise` when given, else the listen address, with the
/// machine's hostname when it listens on every interface.
pub fn advertised_address(advertise: Option<&str>, listen: SocketAddr) -> Result<(String, u16), String> {
    match advertise {
        Some(advertise) => parse_host_port(advertise),
        None if listen.ip().is_unspecified() => Ok((local_hostname(), listen.port())),
        None => Ok((listen.ip().to_string(), listen.port())),
    }
}

/// The machine's hostname (from /etc/hostname), or `localhost`.
pub fn local_hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .ok()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_and_port() {
        assert_eq!(parse_host_port(" node1:5050 "), Ok(("node1".to_string(), 5050)));
        for bad in ["node1", ":5050", "node1:0", "node1:x", "http://node1:5050"] {
            assert!(parse_host_port(bad).is_err(), "{bad}");
        }
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert_eq!(advertised_address(None, listen), Ok(("127.0.0.1".to_string(), 8080)));
        assert_eq!(advertised_address(Some("m1:80"), listen), Ok(("m1".to_string(), 80)));
    }
}
