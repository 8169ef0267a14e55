//! The site's stylesheet: the base styles with the appearance settings on top (accent colour,
//! font, content width, a dark palette derived from them, custom CSS), made when the snapshot
//! loads and served under a URL with its hash, so it is cached for a year and the
//! Content-Security-Policy keeps forbidding inline styles. Contrast is checked here too.

use actix_web::web::Bytes;
use sha2::{Digest, Sha256};

use crate::snapshot::appearance::Appearance;

const BASE: &str = include_str!("../../static/css/site.css");

/// WCAG AA for text and for the text on buttons.
pub const MIN_CONTRAST: f64 = 4.5;

type Rgb = (u8, u8, u8);

/// The backgrounds the accent is used on: the page and the header's tint, in light and dark.
const LIGHT_PAPER: Rgb = (0xff, 0xff, 0xff);
const LIGHT_TINT: Rgb = (0xf4, 0xf6, 0xf9);
const DARK_PAPER: Rgb = (0x14, 0x18, 0x1f);
const DARK_TINT: Rgb = (0x1c, 0x22, 0x2b);

pub fn parse_hex(s: &str) -> Option<Rgb> {
    let h = s.strip_prefix('#')?;
    if h.len() != 6 || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let byte = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    Some((byte(0)?, byte(2)?, byte(4)?))
}

pub fn hex((r, g, b): Rgb) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

fn luminance((r, g, b): Rgb) -> f64 {
    let channel = |c: u8| {
        let c = f64::from(c) / 255.0;
        if c <= 0.03928 {
            c / 12.92
        } else {
            ((c + 0.055) / 1.055).powf(2.4)
        }
    };
    0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)
}

/// The WCAG contrast ratio of two colours (1 to 21).
pub fn contrast(a: Rgb, b: Rgb) -> f64 {
    let (la, lb) = (luminance(a), luminance(b));
    (la.max(lb) + 0.05) / (la.min(lb) + 0.05)
}

fn mix(a: Rgb, b: Rgb, t: f64) -> Rgb {
    let m = |x: u8, y: u8| (f64::from(x) + (f64::from(y) - f64::from(x)) * t).round() as u8;
    (m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// The lowest contrast of the accent as light mode uses it: as text on the page and the tint, and
/// behind white button text.
fn light_contrast(accent: Rgb) -> f64 {
    [LIGHT_PAPER, LIGHT_TINT]
        .iter()
        .map(|bg| contrast(accent, *bg))
        .fold(f64::INFINITY, f64::min)
}

/// Dark mode's accent: the same colour lightened until it reads on the dark backgrounds (and
/// carries dark button text).
pub fn dark_accent(accent: Rgb) -> Rgb {
    (0..=50)
        .map(|step| mix(accent, (0xff, 0xff, 0xff), f64::from(step) / 50.0))
        .find(|c| {
            [DARK_PAPER, DARK_TINT]
                .iter()
                .all(|bg| contrast(*c, *bg) >= MIN_CONTRAST)
        })
        .unwrap_or((0xff, 0xff, 0xff))
}

/// Checks an accent colour; the error says the ratio and the nearest colour that passes.
pub fn check_accent(value: &str) -> Result<String, String> {
    let Some(accent) = parse_hex(value.trim()) else {
        return Err("Enter a colour as #rrggbb (for example #1f4e79).".into());
    };
    let ratio = light_contrast(accent);
    let dark = dark_accent(accent);
    let dark_ratio = [DARK_PAPER, DARK_TINT]
        .iter()
        .map(|bg| contrast(dark, *bg))
        .fold(f64::INFINITY, f64::min);
    if ratio >= MIN_CONTRAST && dark_ratio >= MIN_CONTRAST {
        return Ok(hex(accent));
    }
    let nearest = (1..=100)
        .map(|step| mix(accent, (0, 0, 0), f64::from(step) / 100.0))
        .find(|c| light_contrast(*c) >= MIN_CONTRAST)
        .unwrap_or((0, 0, 0));
    Err(format!(
        "{} has a contrast of {:.2}:1 with the page and the buttons' text ({MIN_CONTRAST}:1 is needed to be readable): the nearest colour that passes is {}.",
        hex(accent),
        (ratio.min(dark_ratio) * 100.0).floor() / 100.0,
        hex(nearest)
    ))
}

/// The generated stylesheet and where it is served.
#[derive(Debug, Clone, Default)]
pub struct Theme {
    pub css: Bytes,
    /// `/theme/{hash}.css`.
    pub url: String,
    /// The light accent, for `theme-color`.
    pub accent: String,
}

impl Theme {
    pub fn build(a: &Appearance) -> Theme {
        let accent = parse_hex(&a.accent_color).unwrap_or((0x1f, 0x4e, 0x79));
        let dark = dark_accent(accent);
        let mut css = String::with_capacity(BASE.len() + 2048 + a.custom_css.len());
        css.push_str(BASE);
        css.push_str(&format!(
            "\n/* The site's appearance, from its settings. */\n:root {{\n  --accent: {};\n  --accent-hover: {};\n  --measure: {}rem;\n  --font: {};\n}}\n",
            hex(accent),
            hex(mix(accent, (0, 0, 0), 0.2)),
            a.content_width.rem(),
            a.font.stack(),
        ));
        css.push_str(&format!(
            "@media (prefers-color-scheme: dark) {{\n  :root {{\n    color-scheme: dark;\n    --ink: #e6e9ee;\n    --muted: #a9b2bf;\n    --paper: {};\n    --tint: {};\n    --line: #343c48;\n    --field-line: #7d8897;\n    --accent: {};\n    --accent-ink: {};\n    --accent-hover: {};\n    --focus: #ffa94d;\n    --error-ink: #ffb4ab;\n    --error-bg: #3b1d1b;\n    --error-line: #8c1d18;\n    --error-strong: #ff8a80;\n    --mark-bg: #5c4a00;\n    --mark-ink: #fff7d6;\n  }}\n}}\n",
            hex(DARK_PAPER),
            hex(DARK_TINT),
            hex(dark),
            hex(DARK_PAPER),
            hex(mix(dark, (0xff, 0xff, 0xff), 0.2)),
        ));
        if !a.custom_css.trim().is_empty() {
            css.push_str("\n/* Custom CSS */\n");
            css.push_str(&a.custom_css);
            css.push('\n');
        }
        let hash = crate::tokens::hex(&Sha256::digest(css.as_bytes()));
        Theme {
            url: format!("/theme/{}.css", &hash[..16]),
            css: Bytes::from(css),
            accent: hex(accent),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_follows_wcag() {
        assert!((contrast((0, 0, 0), (255, 255, 255)) - 21.0).abs() < 0.01);
        assert!(check_accent("#1f4e79").is_ok());
        let refused = check_accent("#7fb3e0").unwrap_err();
        assert!(refused.contains("contrast of 2.") && refused.contains("nearest colour"));
        let nearest = refused.rsplit(' ').next().unwrap().trim_end_matches('.');
        assert!(check_accent(nearest).is_ok(), "{nearest}");
        assert!(check_accent("blue").is_err());
    }

    #[test]
    fn the_dark_accent_reads_on_the_dark_page() {
        for accent in [(0x1f, 0x4e, 0x79), (0, 0, 0), (0x80, 0, 0x80)] {
            assert!(contrast(dark_accent(accent), DARK_PAPER) >= MIN_CONTRAST);
        }
    }
}
