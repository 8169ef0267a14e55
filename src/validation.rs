//! Field-by-field validation messages, shared by every form and the domain checks behind them.

/// Messages keyed by form field name, in the order found.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn has(&self, field: &str) -> bool {
        self.get(field).is_some()
    }

    /// Adds the error for a value that holds a character no text field may hold (see
    /// [`unstorable`]); returns whether it did, so the field's other checks can be skipped.
    pub fn check_text(&mut self, field: &'static str, value: &str) -> bool {
        let bad = unstorable(value);
        if bad {
            self.add(field, UNSTORABLE);
        }
        bad
    }
}

/// The message for a field with a control character in it.
pub const UNSTORABLE: &str = "This contains a control character (such as a NUL byte) that cannot be saved. Please remove it.";

/// Whether `value` holds a control character other than a tab or a line break. A NUL cannot be
/// stored in PostgreSQL text at all, and no form field means any of them, so every text field of
/// every form refuses them, on both backends alike.
pub fn unstorable(value: &str) -> bool {
    value
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

impl std::fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_refused_but_tabs_and_line_breaks_are_text() {
        assert!(unstorable("a\0b"));
        assert!(unstorable("\u{1b}[31m"));
        assert!(unstorable("del\u{7f}"));
        assert!(unstorable("c1\u{85}"));
        assert!(!unstorable("line one\r\nline two\tand a tab, café"));
        let mut errors = FieldErrors::default();
        assert!(errors.check_text("title", "x\0"));
        assert!(!errors.check_text("body", "fine"));
        assert_eq!(errors.get("title"), Some(UNSTORABLE));
        assert!(!errors.has("body"));
    }
}
