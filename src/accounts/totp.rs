//! Time-based one-time passwords (RFC 6238, as authenticator apps make them: HMAC-SHA1, six
//! digits, 30-second steps), the `otpauth://` URI that sets an app up, and its QR code.

use chrono::NaiveDateTime;
use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECONDS: i64 = 30;
pub const SECRET_LEN: usize = 20;

/// A new random secret.
pub fn new_secret() -> [u8; SECRET_LEN] {
    rand::random()
}

/// The time step `now` falls in.
pub fn step_at(now: NaiveDateTime) -> i64 {
    now.and_utc().timestamp().div_euclid(STEP_SECONDS)
}

/// The six-digit code for `step`.
pub fn code(secret: &[u8], step: i64) -> String {
    // HMAC takes a key of any length.
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[19] & 0x0f);
    let bin = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", bin % 1_000_000)
}

/// The step whose code `typed` is, within one step either side of `now` (clocks drift, people
/// type slowly), newest first; `None` when it matches none.
pub fn matching_step(secret: &[u8], typed: &str, now: NaiveDateTime) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != 6 || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    [current + 1, current, current - 1]
        .into_iter()
        .find(|step| {
            constant_time_eq::constant_time_eq(code(secret, *step).as_bytes(), typed.as_bytes())
        })
}

/// RFC 4648 base32 without padding: how apps take a secret typed in by hand.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let bits = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = (bits >> (35 - i * 5)) & 0x1f;
            out.push(char::from(ALPHABET[index as usize]));
        }
    }
    out
}

/// The URI an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let enc = |s: &str| serde_urlencoded::to_string([("", s)]).unwrap_or_default()[1..].to_owned();
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits=6&period={STEP_SECONDS}",
        enc(issuer).replace('+', "%20"),
        enc(account).replace('+', "%20"),
        base32(secret),
        enc(issuer).replace('+', "%20"),
    )
}

/// The QR code of `uri` as SVG path data (one unit square per dark module, a four-module quiet
/// zone) and the side of the whole square: the page draws it, so it needs no script and prints
/// nothing unescaped.
pub fn qr_path(uri: &str) -> Option<(String, usize)> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    let width = code.width();
    let mut path = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            path.push_str(&format!("M{} {}h1v1h-1z", i % width + 4, i / width + 4));
        }
    }
    Some((path, width + 8))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(seconds: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(seconds, 0)
            .unwrap()
            .naive_utc()
    }

    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        // RFC 6238, appendix B, SHA1: the last six of the eight digits.
        let secret = b"12345678901234567890";
        for (t, want) in [
            (59, "287082"),
            (1_111_111_109, "081804"),
            (1_234_567_890, "005924"),
            (2_000_000_000, "279037"),
        ] {
            assert_eq!(code(secret, step_at(at(t))), want, "T={t}");
        }
    }

    #[test]
    fn one_step_either_side_is_accepted() {
        let secret = b"12345678901234567890";
        let now = at(1_234_567_890);
        let step = step_at(now);
        for (offset, accepted) in [(-2, false), (-1, true), (0, true), (1, true), (2, false)] {
            let typed = code(secret, step + offset);
            assert_eq!(
                matching_step(secret, &typed, now),
                accepted.then_some(step + offset),
                "offset {offset}"
            );
        }
        assert_eq!(matching_step(secret, "12345", now), None);
        assert_eq!(matching_step(secret, "abcdef", now), None);
        let spaced = format!("{} {}", &code(secret, step)[..3], &code(secret, step)[3..]);
        assert_eq!(matching_step(secret, &spaced, now), Some(step));
    }

    #[test]
    fn base32_is_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(
            base32(b"12345678901234567890"),
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
        );
    }

    #[test]
    fn the_uri_and_its_qr_code() {
        let uri = otpauth_uri("My site", "ann@example.com", b"12345678901234567890");
        assert_eq!(
            uri,
            "otpauth://totp/My%20site:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=My%20site&algorithm=SHA1&digits=6&period=30"
        );
        let (path, side) = qr_path(&uri).unwrap();
        assert!(
            side >= 21 + 8,
            "a version 1 code or larger, with its quiet zone"
        );
        assert!(path.starts_with('M') && path.ends_with('z'));
        assert!(
            path.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b' ' || b == b'-')
        );
    }
}
