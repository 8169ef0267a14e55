//! A visitor's search words, parsed into terms the engines cannot misread: quoted phrases and
//! words, folded to lowercase ASCII, stripped of everything but letters and digits.

/// Longest input looked at, and most terms used; the rest is ignored, never an error.
pub const MAX_INPUT: usize = 200;
pub const MAX_TERMS: usize = 8;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Term {
    Word(String),
    Phrase(Vec<String>),
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub terms: Vec<Term>,
    /// Any term may match (suggestions for a missing page), instead of all of them.
    pub any: bool,
}

/// Lowercase ASCII: accents dropped, other scripts transliterated ("Café" -> "cafe").
pub fn fold(text: &str) -> String {
    deunicode::deunicode(text).to_lowercase()
}

/// The folded words of `text` (runs of ASCII letters and digits).
pub fn words(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

impl Query {
    pub fn parse(input: &str) -> Query {
        let input: String = input.chars().take(MAX_INPUT).collect();
        let mut terms = Vec::new();
        for (i, part) in input.split('"').enumerate() {
            let ws = words(part);
            if i % 2 == 1 && ws.len() > 1 {
                terms.push(Term::Phrase(ws));
            } else {
                terms.extend(ws.into_iter().map(Term::Word));
            }
        }
        terms.dedup();
        terms.truncate(MAX_TERMS);
        Query { terms, any: false }
    }

    /// The words of a missing page's address, of which any may match.
    pub fn suggestions_for(path: &str) -> Query {
        let mut q = Query::parse(&path.replace(['/', '-', '_', '.'], " "));
        q.terms
            .retain(|t| matches!(t, Term::Word(w) if w.len() >= 3));
        q.any = true;
        q
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// An FTS5 query: every term must match; words match as prefixes.
    pub fn fts5(&self) -> String {
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                Term::Word(w) if self.prefix_at(i) => format!("\"{w}\"*"),
                Term::Word(w) => format!("\"{w}\""),
                Term::Phrase(ws) => format!("\"{}\"", ws.join(" ")),
            })
            .collect::<Vec<_>>()
            .join(if self.any { " OR " } else { " " })
    }

    /// A PostgreSQL tsquery: every term must match; words match as prefixes, phrases in order.
    pub fn tsquery(&self) -> String {
        self.terms
            .iter()
            .enumerate()
            .map(|(i, t)| match t {
                Term::Word(w) if self.prefix_at(i) => format!("{w}:*"),
                Term::Word(w) => w.clone(),
                Term::Phrase(ws) => format!("({})", ws.join(" <-> ")),
            })
            .collect::<Vec<_>>()
            .join(if self.any { " | " } else { " & " })
    }

    /// The last word is matched as a prefix (the one still being typed); the others as words
    /// (stemmed), which keeps common prefixes from expanding into every word of the index.
    fn prefix_at(&self, i: usize) -> bool {
        !self.any && i + 1 == self.terms.len()
    }

    /// Whether a word of a result, as written ("Caching," or "Café"), answers one of the query's
    /// words: for highlighting. ASCII words, nearly all of them, are compared without folding.
    pub fn matches(&self, written: &str) -> bool {
        if written.is_ascii() {
            written
                .split(|c: char| !c.is_ascii_alphanumeric())
                .any(|part| !part.is_empty() && self.answers(part))
        } else {
            words(written).iter().any(|w| self.answers(w))
        }
    }

    /// `word` is ASCII letters and digits, in any case; the terms are folded.
    fn answers(&self, word: &str) -> bool {
        self.terms.iter().any(|t| {
            let ws: &[String] = match t {
                Term::Word(w) => std::slice::from_ref(w),
                Term::Phrase(ws) => ws,
            };
            ws.iter().any(|w| {
                starts_with_folded(word, w)
                    || (w.len() > 3 && word.len() > 3 && starts_with_folded(w, word))
            })
        })
    }
}

fn starts_with_folded(s: &str, prefix: &str) -> bool {
    s.len() >= prefix.len() && s.as_bytes()[..prefix.len()].eq_ignore_ascii_case(prefix.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_becomes_safe_terms() {
        let q = Query::parse(r#"Café "static site" gen* OR -x) NEAR(a b) ' ; DROP TABLE pages"#);
        assert_eq!(q.terms[0], Term::Word("cafe".into()));
        assert_eq!(
            q.terms[1],
            Term::Phrase(vec!["static".into(), "site".into()])
        );
        assert!(
            q.fts5()
                .starts_with(r#""cafe" "static site" "gen" "or" "x""#),
            "{}",
            q.fts5()
        );
        assert!(
            q.tsquery().starts_with("cafe & (static <-> site) & gen"),
            "{}",
            q.tsquery()
        );
        for s in [q.fts5(), q.tsquery()] {
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || " \"*:&()<->".contains(c)),
                "{s}"
            );
        }
        assert!(
            Query::parse("static gen").fts5().ends_with(r#""gen"*"#),
            "the last word is a prefix"
        );
        assert!(Query::parse("  \"\" *** ").is_empty());
        assert_eq!(
            Query::parse(&"word ".repeat(1000)).terms.len(),
            1,
            "duplicates folded"
        );
        let many: String = (0..1000).map(|i| format!("w{i} ")).collect();
        assert_eq!(Query::parse(&many).terms.len(), MAX_TERMS);
        assert_eq!(words("日本語"), vec!["ri", "ben", "yu"]);
    }
}
