//! The clock and how times are written: now at the precision both databases store, ISO 8601 for
//! machines (feeds, sitemaps, JSON-LD) and a plain date for people.

use chrono::{Datelike, NaiveDateTime, Timelike};

/// Now, in UTC, at the precision both databases store (microseconds).
pub fn now() -> NaiveDateTime {
    chrono::SubsecRound::trunc_subsecs(chrono::Utc::now().naive_utc(), 6)
}

/// `2026-11-21T09:30:00Z`. Written digit by digit: chrono's formatter interprets a pattern and
/// `format!` pads each number through `core::fmt`, and page views print three of these.
pub fn iso(t: NaiveDateTime) -> String {
    let mut s = String::with_capacity(20);
    push_year(&mut s, t.year());
    for (sep, n) in [
        ('-', t.month()),
        ('-', t.day()),
        ('T', t.hour()),
        (':', t.minute()),
        // chrono keeps a leap second as second 59 with a nanosecond count past one second.
        (':', t.second() + u32::from(t.nanosecond() >= 1_000_000_000)),
    ] {
        s.push(sep);
        push_digits(&mut s, n, 2);
    }
    s.push('Z');
    s
}

/// A year as chrono's `%Y` writes it: four digits, signed outside 0 to 9999.
fn push_year(s: &mut String, year: i32) {
    if (0..=9999).contains(&year) {
        push_digits(s, year as u32, 4);
    } else {
        s.push_str(&format!("{year:+05}"));
    }
}

/// `n` in `width` decimal digits, zero-padded (`n` has at most `width` digits).
fn push_digits(s: &mut String, n: u32, width: u32) {
    for i in (0..width).rev() {
        s.push(char::from(b'0' + (n / 10u32.pow(i) % 10) as u8));
    }
}

/// `21 November 2026`.
pub fn human_date(t: NaiveDateTime) -> String {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    let mut s = format!("{} {} ", t.day(), MONTHS[t.month0() as usize]);
    push_year(&mut s, t.year());
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_chrono_formats_them() {
        for (y, mo, d, h, mi, sec) in [
            (2026, 11, 21, 9, 5, 7),
            (999, 1, 2, 23, 59, 59),
            (2031, 7, 9, 0, 0, 0),
            (12345, 12, 31, 10, 20, 30),
            (-1, 3, 4, 5, 6, 7),
        ] {
            let t = chrono::NaiveDate::from_ymd_opt(y, mo, d)
                .and_then(|d| d.and_hms_opt(h, mi, sec))
                .unwrap();
            let chrono_iso = t
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
            assert_eq!(iso(t), chrono_iso);
            assert_eq!(human_date(t), t.format("%-d %B %Y").to_string());
        }
        let leap = chrono::NaiveDate::from_ymd_opt(2016, 12, 31)
            .and_then(|d| d.and_hms_milli_opt(23, 59, 59, 1_000))
            .unwrap();
        assert_eq!(iso(leap), "2016-12-31T23:59:60Z");
        assert_eq!(
            iso(leap),
            leap.and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
    }
}
