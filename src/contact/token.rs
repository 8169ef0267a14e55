//! The contact form's token: when the form was rendered and a random nonce, signed with HMAC.
//! It proves the form came from this site, measures how fast it was filled in (bots are quick),
//! and makes a reload or double-click recognisable (the nonce is stored with the submission).

use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::Sha256;

/// Faster than this after rendering, a submission is taken for a bot's.
pub const MIN_AGE_SECONDS: i64 = 3;
/// Older than this, the form has expired (the visitor gets a fresh one, values kept).
pub const MAX_AGE_SECONDS: i64 = 24 * 3600;

#[derive(Debug, PartialEq, Eq)]
pub enum Check {
    /// Genuine; `nonce` identifies this rendering of the form.
    Valid {
        nonce: String,
        age_seconds: i64,
    },
    Expired,
    Invalid,
}

fn mac(secret: &[u8], payload: &str) -> Hmac<Sha256> {
    let mut m = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    m.update(b"galley contact form\0");
    m.update(payload.as_bytes());
    m
}

/// A token for a form rendered at `now` (Unix seconds).
pub fn issue(secret: &[u8], now: i64) -> String {
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let nonce: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    let payload = format!("{now}.{nonce}");
    let sig: String = mac(secret, &payload)
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("{payload}.{sig}")
}

pub fn check(secret: &[u8], token: &str, now: i64) -> Check {
    let mut parts = token.splitn(3, '.');
    let (Some(ts), Some(nonce), Some(sig)) = (parts.next(), parts.next(), parts.next()) else {
        return Check::Invalid;
    };
    let Ok(issued) = ts.parse::<i64>() else {
        return Check::Invalid;
    };
    let Some(sig) = decode_hex(sig) else {
        return Check::Invalid;
    };
    if mac(secret, &format!("{ts}.{nonce}"))
        .verify_slice(&sig)
        .is_err()
    {
        return Check::Invalid;
    }
    let age = now - issued;
    if age > MAX_AGE_SECONDS {
        return Check::Expired;
    }
    Check::Valid {
        nonce: nonce.to_owned(),
        age_seconds: age,
    }
}

fn decode_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_verify_age_and_resist_tampering() {
        let secret = b"secret key for tests";
        let t = issue(secret, 1000);
        match check(secret, &t, 1010) {
            Check::Valid { age_seconds, .. } => assert_eq!(age_seconds, 10),
            other => panic!("{other:?}"),
        }
        assert_eq!(check(b"another key", &t, 1010), Check::Invalid);
        let forged = t.replacen("1000", "900", 1);
        assert_eq!(check(secret, &forged, 1010), Check::Invalid);
        assert_eq!(
            check(secret, &t, 1000 + MAX_AGE_SECONDS + 1),
            Check::Expired
        );
        for junk in ["", "a.b", "1.2.zz", "x.y.00"] {
            assert_eq!(check(secret, junk, 0), Check::Invalid);
        }
        assert_ne!(issue(secret, 1), issue(secret, 1), "nonces differ");
    }
}
