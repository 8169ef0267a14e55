//! A page's FAQ in its stored form: the schema.org `Question`s the renderer's FAQ section makes,
//! serialised when the page is saved and embedded as they are in every view.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::html::JsonLd;
use crate::markdown::FaqEntry;

/// The stored form of a page's FAQ: its schema.org `Question`s as a JSON array, escaped to sit
/// inside a `<script>` element (`[]` without questions).
pub fn faq_questions(faq: &[FaqEntry]) -> String {
    let questions: Vec<Question> = faq
        .iter()
        .map(|f| Question {
            name: &f.question,
            answer: Answer { text: &f.answer },
        })
        .collect();
    JsonLd::new(&questions).into_string()
}

/// How `faq_questions` output starts when there are questions.
pub const STORED_PREFIX: &str = r#"[{"@type":"Question""#;

/// The FAQ as an older version stored it (question and answer pairs), as schema.org: such rows
/// are re-rendered at start-up, but during a rolling upgrade an instance not yet upgraded may
/// still write them. `None` without questions, or for anything else.
pub fn from_older_form(stored: &str) -> Option<Box<RawValue>> {
    let faq: Vec<FaqEntry> = serde_json::from_str(stored).ok()?;
    if faq.is_empty() {
        return None;
    }
    RawValue::from_string(faq_questions(&faq)).ok()
}

#[derive(Serialize)]
#[serde(tag = "@type")]
struct Question<'a> {
    name: &'a str,
    #[serde(rename = "acceptedAnswer")]
    answer: Answer<'a>,
}

#[derive(Serialize)]
#[serde(tag = "@type")]
struct Answer<'a> {
    text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_faq_is_schema_org_and_cannot_close_its_script() {
        let stored = faq_questions(&[FaqEntry {
            question: "Is </script> safe?".into(),
            answer: "Yes & always.".into(),
        }]);
        assert!(!stored.contains(['<', '>', '&']));
        let v: serde_json::Value = serde_json::from_str(&stored).unwrap();
        assert_eq!(v[0]["@type"], "Question");
        assert_eq!(v[0]["name"], "Is </script> safe?");
        assert_eq!(v[0]["acceptedAnswer"]["@type"], "Answer");
        assert_eq!(v[0]["acceptedAnswer"]["text"], "Yes & always.");
        assert_eq!(faq_questions(&[]), "[]");
        assert!(stored.starts_with(STORED_PREFIX));
    }

    #[test]
    fn faq_stored_by_an_older_version_still_shows() {
        let older = from_older_form(r#"[{"question":"Why?","answer":"Because </script>."}]"#)
            .expect("converted");
        let v: serde_json::Value = serde_json::from_str(older.get()).unwrap();
        assert_eq!(v[0]["@type"], "Question");
        assert_eq!(v[0]["acceptedAnswer"]["text"], "Because </script>.");
        assert!(!older.get().contains('<'));
        for nothing in ["[]", "{}", "", "not json", r#"[{"name":"x"}]"#] {
            assert!(from_older_form(nothing).is_none(), "{nothing}");
        }
    }
}
