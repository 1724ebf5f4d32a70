//! Property tests of what the kit reads from outside: bearer tokens (every request of a secured
//! service carries one) and `HOST:PORT` flags. Any token text is refused without panicking unless
//! it is one the service's secret signed and has not expired; a token issued for any subject and
//! roles verifies to exactly those claims, and one changed in any character does not verify. Any
//! `--advertise` text parses or is refused without panicking, and what parses prints back as
//! itself.

use std::time::Duration;

use corral_kit::auth::{unix_seconds, Issuer, Role, Verifier};
use corral_kit::parse_host_port;
use proptest::prelude::*;

fn cases(cases: u32) -> ProptestConfig {
    ProptestConfig { failure_persistence: None, ..ProptestConfig::with_cases(cases) }
}

/// An issuer and a verifier sharing one secret, and a verifier with another.
fn keys() -> (Issuer, Verifier, Verifier) {
    let dir = tempfile::tempdir().unwrap();
    let (secret, other) = (dir.path().join("secret"), dir.path().join("other"));
    std::fs::write(&secret, "s3cret").unwrap();
    std::fs::write(&other, "another").unwrap();
    (
        Issuer::from_secret_file(&secret).unwrap(),
        Verifier::from_secret_file(&secret).unwrap(),
        Verifier::from_secret_file(&other).unwrap(),
    )
}

fn role() -> impl Strategy<Value = Role> {
    prop::sample::select(vec![Role::Read, Role::Deploy, Role::Operator, Role::Agent, Role::Peer, Role::Admin])
}

/// Text shaped like a JWT: three dot-separated base64url parts, or anything.
fn token_like_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Za-z0-9_-]{0,40}(\\.[A-Za-z0-9_=+/-]{0,40}){0,3}",
        ".{0,60}",
        Just("eyJhbGciOiJub25lIn0.e30.".to_string())
    ]
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn any_token_text_is_refused_without_panicking(token in token_like_text()) {
        let (_, verifier, _) = keys();
        prop_assert!(verifier.verify(&token).is_err());
    }

    #[test]
    fn an_issued_token_verifies_to_its_claims_and_nowhere_else(
        subject in ".{0,12}",
        roles in prop::collection::vec(role(), 0..3),
        ttl in 60u64..100_000,
    ) {
        let (issuer, verifier, other) = keys();
        let now = unix_seconds();
        let token = issuer.issue(&subject, &roles, now, Duration::from_secs(ttl)).unwrap();
        let claims = verifier.verify(&token).unwrap();
        prop_assert_eq!((claims.sub, claims.roles, claims.exp), (subject, roles, now + ttl));
        prop_assert!(other.verify(&token).is_err());
    }

    #[test]
    fn a_token_changed_in_any_character_does_not_verify(
        at in any::<prop::sample::Index>(),
        replacement in prop::sample::select(b"ABCabc012_-.=".to_vec()),
    ) {
        let (issuer, verifier, _) = keys();
        let token = issuer.issue("ops", &[Role::Deploy], unix_seconds(), Duration::from_secs(600)).unwrap();
        let mut bytes = token.clone().into_bytes();
        let at = at.index(bytes.len());
        prop_assume!(bytes[at] != replacement);
        bytes[at] = replacement;
        let changed = String::from_utf8(bytes).unwrap();
        prop_assert!(verifier.verify(&changed).is_err(), "{} verified as {}", changed, token);
    }
}

proptest! {
    #![proptest_config(cases(2048))]

    #[test]
    fn any_host_port_text_parses_into_what_prints_back_as_itself(
        text in prop_oneof![".{0,16}", "[a-z0-9.:/ \\[\\]-]{0,10}:[0-9+ -]{0,6}"],
    ) {
        if let Ok((host, port)) = parse_host_port(&text) {
            prop_assert!(port > 0 && !host.is_empty() && !host.contains('/'));
            prop_assert_eq!(parse_host_port(&format!("{host}:{port}")), Ok((host, port)));
        }
    }

    #[test]
    fn every_host_and_port_is_read_from_host_colon_port(host in "[a-z0-9][a-z0-9.-]{0,12}|\\[::1\\]", port in 1u16..) {
        prop_assert_eq!(parse_host_port(&format!(" {host}:{port} ")), Ok((host, port)));
    }
}
