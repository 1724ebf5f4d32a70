//! Agents' secrets: a random value given to an agent when it registers, which it presents on
//! every later call. The master keeps only a digest of it (in memory and in the registry), so
//! reading the registry does not let anyone act as an agent.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// A new secret: 32 random bytes, hex.
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// The digest kept of `secret`: SHA-256, hex.
pub fn digest(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

/// Whether `presented` is the secret whose digest is `kept`.
pub fn matches(kept: &str, presented: Option<&str>) -> bool {
    presented.is_some_and(|presented| {
        let presented = digest(presented);
        // Compare every byte, so the time taken does not tell how much of a guess was right.
        presented.len() == kept.len()
            && presented.bytes().zip(kept.bytes()).fold(0u8, |diff, (a, b)| diff | (a ^ b)) == 0
    })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_secret_itself_matches_its_digest() {
        let secret = generate();
        assert_eq!(secret.len(), 64);
        assert_ne!(secret, generate());
        let kept = digest(&secret);
        assert!(matches(&kept, Some(&secret)));
        assert!(!matches(&kept, Some(&generate())));
        assert!(!matches(&kept, Some("")));
        assert!(!matches(&kept, None));
        assert!(!matches(&kept, Some(&kept)), "the digest is not the secret");
    }
}
