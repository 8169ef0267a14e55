//! The inbox as CSV, safe to open in a spreadsheet.

use crate::contact::submissions::Submission;

/// A cell a spreadsheet would read as a formula gets a leading apostrophe.
fn neutralise(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// The submissions as CSV (RFC 4180 quoting by the csv crate), safe to open in a spreadsheet.
pub fn to_csv(rows: &[Submission]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "id",
        "received_utc",
        "status",
        "name",
        "email",
        "subject",
        "message",
        "ip",
    ])?;
    for s in rows {
        w.write_record([
            s.id.to_string(),
            s.created_at.format("%Y-%m-%d %H:%M:%S").to_string(),
            s.status.clone(),
            neutralise(&s.name),
            neutralise(&s.email),
            neutralise(&s.subject),
            neutralise(&s.message),
            neutralise(&s.ip),
        ])?;
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(neutralise("+1"), "'+1");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@cmd"), "'@cmd");
        assert_eq!(neutralise("plain"), "plain");
    }
}
