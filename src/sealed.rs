//! Secrets the database keeps sealed (AES-256-GCM) with a key that lives outside it
//! (`GALLEY_SECRET_KEY`, or the data directory's `secret.key`), so a dump of the database alone
//! does not give them away. Each sealed value is bound to a context (the row it belongs to), so it
//! cannot be moved to another row.

use aes_gcm::aead::{Aead, Payload};
use aes_gcm::{Aes256Gcm, KeyInit, Nonce};
use hkdf::Hkdf;
use sha2::Sha256;

use crate::tokens::hex;

const NONCE_LEN: usize = 12;

#[derive(Clone)]
pub struct Sealer {
    cipher: Aes256Gcm,
    check: String,
}

impl Sealer {
    /// A sealer for one `purpose`, keyed from `secret` (HKDF-SHA256).
    pub fn new(secret: &str, purpose: &str) -> Sealer {
        let hkdf = Hkdf::<Sha256>::new(None, secret.as_bytes());
        let mut key = [0u8; 32];
        hkdf.expand(purpose.as_bytes(), &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 output length");
        let mut check = [0u8; 16];
        hkdf.expand(format!("{purpose} check").as_bytes(), &mut check)
            .expect("16 bytes is a valid HKDF-SHA256 output length");
        Sealer {
            cipher: Aes256Gcm::new(&key.into()),
            check: hex(&check),
        }
    }

    /// A value that tells whether two sealers share a key, without giving the key away.
    pub fn check_value(&self) -> String {
        self.check.clone()
    }

    /// `plain` sealed for `context`, as hex (nonce, then ciphertext and tag).
    pub fn seal(&self, plain: &[u8], context: &[u8]) -> String {
        let nonce: [u8; NONCE_LEN] = rand::random();
        let sealed = self
            .cipher
            .encrypt(
                Nonce::from_slice(&nonce),
                Payload {
                    msg: plain,
                    aad: context,
                },
            )
            .expect("AES-GCM encrypts any message of this size");
        hex(&[&nonce[..], &sealed].concat())
    }

    /// What `seal` sealed for this `context`, or `None` for anything else (another context,
    /// another key, a damaged value).
    pub fn open(&self, sealed: &str, context: &[u8]) -> Option<Vec<u8>> {
        let bytes = unhex(sealed)?;
        if bytes.len() < NONCE_LEN {
            return None;
        }
        let (nonce, msg) = bytes.split_at(NONCE_LEN);
        self.cipher
            .decrypt(Nonce::from_slice(nonce), Payload { msg, aad: context })
            .ok()
    }
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_values_open_only_with_their_key_and_context() {
        let sealer = Sealer::new("site secret", "purpose");
        let sealed = sealer.seal(b"the secret", b"user 1");
        assert!(!sealed.contains("the secret"));
        assert_eq!(
            sealer.open(&sealed, b"user 1").as_deref(),
            Some(&b"the secret"[..])
        );
        assert_ne!(sealed, sealer.seal(b"the secret", b"user 1"), "a new nonce");
        assert!(sealer.open(&sealed, b"user 2").is_none(), "another row");
        let other_site = Sealer::new("another secret", "purpose");
        assert!(other_site.open(&sealed, b"user 1").is_none(), "another key");
        let other_purpose = Sealer::new("site secret", "other");
        assert!(other_purpose.open(&sealed, b"user 1").is_none());
        for damaged in ["", "zz", "00", &sealed[..sealed.len() - 2]] {
            assert!(sealer.open(damaged, b"user 1").is_none(), "{damaged:?}");
        }
    }
}
