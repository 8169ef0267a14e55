//! Random tokens (session keys, CSRF tokens, one-time links) and the hashes we store instead.

use rand::RngCore;
use sha2::{Digest, Sha256};

/// 256 random bits from the thread-local CSPRNG (seeded from the OS), hex-encoded.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex(&bytes)
}

/// This process's name in lease tokens: random, made once.
pub fn instance() -> &'static str {
    static INSTANCE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    INSTANCE.get_or_init(|| random_token()[..16].to_owned())
}

/// A token for one lease (an outbox message, rendition jobs): this instance's name, a dot and
/// random bits, so that the instance can give back everything it holds when it stops.
pub fn lease_token() -> String {
    format!("{}.{}", instance(), random_token())
}

/// What every lease token of this instance starts with (for a `LIKE`).
pub fn lease_prefix() -> String {
    format!("{}.", instance())
}

/// SHA-256, hex-encoded: what the database keeps of a token, so a leaked table grants nothing.
pub fn hash(token: &str) -> String {
    hex(&Sha256::digest(token.as_bytes()))
}

/// Compares secrets without leaking where they differ.
pub fn same(a: &str, b: &str) -> bool {
    constant_time_eq::constant_time_eq(a.as_bytes(), b.as_bytes())
}

/// Bytes as lower-case hex.
pub fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashes_stable() {
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
        assert_eq!(hash("x"), hash("x"));
        assert_ne!(hash(&a), a);
        assert!(same(&a, &a.clone()) && !same(&a, &b));
    }
}
