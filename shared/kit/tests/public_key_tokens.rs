//! `--jwt-public-key`: a token signed with an Ed25519 private key (EdDSA) verifies against its
//! public key and against no other key, nor as an HS256 token; a file that holds no public key is
//! refused with its path. (RS256 goes through the same code; ring cannot make RSA keys to test it.)

use std::path::Path;
use std::time::Duration;

use corral_kit::auth::{unix_seconds, Issuer, Role, Verifier};

/// Writes a key pair as PEM (`<name>.key`, PKCS#8; `<name>.pub`, SPKI) and returns the paths.
fn write_pair(dir: &Path, name: &str, key: &rcgen::KeyPair) -> (std::path::PathBuf, std::path::PathBuf) {
    let (private, public) = (dir.join(format!("{name}.key")), dir.join(format!("{name}.pub")));
    std::fs::write(&private, key.serialize_pem()).unwrap();
    std::fs::write(&public, key.public_key_pem()).unwrap();
    (private, public)
}

#[test]
fn an_ed25519_token_verifies_with_its_public_key_only() {
    let dir = tempfile::tempdir().unwrap();
    let (private, public) = write_pair(dir.path(), "a", &rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap());
    let (_, other) = write_pair(dir.path(), "b", &rcgen::KeyPair::generate_for(&rcgen::PKCS_ED25519).unwrap());
    let token = Issuer::from_private_key_file(&private)
        .unwrap()
        .issue("ci", &[Role::Deploy], unix_seconds(), Duration::from_secs(60))
        .unwrap();
    let claims = Verifier::from_public_key_file(&public).unwrap().verify(&token).unwrap();
    assert_eq!((claims.sub.as_str(), claims.roles), ("ci", vec![Role::Deploy]));
    assert!(Verifier::from_public_key_file(&other).unwrap().verify(&token).is_err());
    let secret = dir.path().join("secret");
    std::fs::write(&secret, "s3cret").unwrap();
    assert!(Verifier::from_secret_file(&secret).unwrap().verify(&token).is_err(), "no algorithm confusion");
}

#[test]
fn a_file_without_a_public_key_is_refused_with_its_path() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-key.pem");
    std::fs::write(&path, "hello").unwrap();
    let error = Verifier::from_public_key_file(&path).unwrap_err().to_string();
    assert!(error.contains("not-a-key.pem") && error.contains("public key"), "{error}");
}
