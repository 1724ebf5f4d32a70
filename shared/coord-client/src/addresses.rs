//! `CoordAddresses`: the validated list of coordinator client addresses a `CoordClient` fails over between.

use std::fmt;
use std::str::FromStr;

/// A non-empty list of coordinator base URLs (`http://host:port`), in the order they are tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoordAddresses {
    base_urls: Vec<String>,
}

/// Why an address list was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AddressError {
    #[error("the coordinator address list is empty")]
    Empty,
    #[error("coordinator address {0:?} is not host:port")]
    NotHostPort(String),
    #[error("coordinator address {0:?} has an invalid port")]
    InvalidPort(String),
    #[error("coordinator address {0:?} uses a scheme other than http or https")]
    UnsupportedScheme(String),
}

impl CoordAddresses {
    /// Parses a comma-separated list such as `127.0.0.1:2181,127.0.0.1:2182`. Blanks around entries
    /// are ignored, and so is a trailing `/` on an entry; entries without `http://` or `https://`
    /// are reached over plain http.
    pub fn parse(list: &str) -> Result<Self, AddressError> {
        Self::parse_with_scheme(list, "http")
    }

    /// As [`CoordAddresses::parse`], with entries without a scheme reached over `default_scheme`.
    pub fn parse_with_scheme(list: &str, default_scheme: &str) -> Result<Self, AddressError> {
        let base_urls = list
            .split(',')
            .map(str::trim)
            .filter(|entry| !entry.is_empty())
            .map(|entry| base_url(entry, default_scheme))
            .collect::<Result<Vec<_>, _>>()?;
        if base_urls.is_empty() {
            return Err(AddressError::Empty);
        }
        Ok(CoordAddresses { base_urls })
    }

    /// Builds the list from separate `host:port` entries.
    pub fn from_entries<I, S>(entries: I) -> Result<Self, AddressError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let joined: Vec<String> = entries.into_iter().map(|e| e.as_ref().to_owned()).collect();
        Self::parse(&joined.join(","))
    }

    /// The base URLs, such as `http://127.0.0.1:2181`, without a trailing slash.
    pub fn base_urls(&self) -> &[String] {
        &self.base_urls
    }

    pub fn len(&self) -> usize {
        self.base_urls.len()
    }

    /// Always false: an address list holds at least one address.
    pub fn is_empty(&self) -> bool {
        false
    }
}

impl FromStr for CoordAddresses {
    type Err = AddressError;

    fn from_str(list: &str) -> Result<Self, Self::Err> {
        Self::parse(list)
    }
}

impl fmt::Display for CoordAddresses {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.base_urls.join(","))
    }
}

/// Turns one `host:port` entry into `http://host:port` (or https).
fn base_url(entry: &str, default_scheme: &str) -> Result<String, AddressError> {
    let (scheme, host_port) = match entry.split_once("://") {
        Some((scheme @ ("http" | "https"), rest)) => (scheme, rest),
        Some(_) => return Err(AddressError::UnsupportedScheme(entry.to_owned())),
        None => (default_scheme, entry),
    };
    let host_port = host_port.trim_end_matches('/');
    let (host, port) = host_port.rsplit_once(':').ok_or_else(|| AddressError::NotHostPort(entry.to_owned()))?;
    if host.is_empty() || host.contains('/') {
        return Err(AddressError::NotHostPort(entry.to_owned()));
    }
    match port.parse::<u16>() {
        Ok(port) if port > 0 => Ok(format!("{scheme}://{host}:{port}")),
        _ => Err(AddressError::InvalidPort(entry.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(list: &str, expected: Result<&[&str], AddressError>) {
        let parsed = CoordAddresses::parse(list);
        let expected = expected.map(|urls| urls.iter().map(|u| u.to_string()).collect::<Vec<_>>());
        assert_eq!(parsed.map(|a| a.base_urls().to_vec()), expected, "parsing {list:?}");
    }

    #[test]
    fn parses_address_lists() {
        check("127.0.0.1:2181", Ok(&["http://127.0.0.1:2181"]));
        check("127.0.0.1:2181, 127.0.0.1:2182 ,", Ok(&["http://127.0.0.1:2181", "http://127.0.0.1:2182"]));
        check("http://zk1:2181/,zk2:2181", Ok(&["http://zk1:2181", "http://zk2:2181"]));
        check("[::1]:2181", Ok(&["http://[::1]:2181"]));
        check("", Err(AddressError::Empty));
        check(" , ", Err(AddressError::Empty));
        check("localhost", Err(AddressError::NotHostPort("localhost".into())));
        check(":2181", Err(AddressError::NotHostPort(":2181".into())));
        check("zk:99999", Err(AddressError::InvalidPort("zk:99999".into())));
        check("zk:0", Err(AddressError::InvalidPort("zk:0".into())));
        check("https://zk:1,zk:2", Ok(&["https://zk:1", "http://zk:2"]));
        check("ftp://zk:1", Err(AddressError::UnsupportedScheme("ftp://zk:1".into())));
        let secured = CoordAddresses::parse_with_scheme("zk:1,http://zk:2", "https").unwrap();
        assert_eq!(secured.base_urls(), ["https://zk:1", "http://zk:2"]);
    }

    #[test]
    fn displays_as_a_list() {
        let addresses: CoordAddresses = "a:1,b:2".parse().unwrap();
        assert_eq!(addresses.to_string(), "http://a:1,http://b:2");
        assert_eq!(addresses.len(), 2);
    }
}
