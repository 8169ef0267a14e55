//! Full-text search behind one function: SQLite FTS5 (porter stemming) or PostgreSQL's weighted
//! tsvector, chosen by the connection. Titles outrank bodies; quoted phrases, several words (all
//! must match) and word prefixes work; the query is rebuilt from plain words, so no input can
//! reach the engines' own syntax.

pub mod public;
pub mod query;
pub mod related;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};

use crate::db::DbConnection;
use crate::db::schema::pages;
use crate::markdown;
pub use query::Query;

/// At most this many matches are ranked for one query.
pub const MAX_RESULTS: i64 = 500;

/// What saving a page stores for search: the title and the body's plain text folded to ASCII
/// (what the index holds), and the plain text as written (what result snippets are cut from).
pub struct IndexText {
    pub title: String,
    pub body: String,
    pub plain: String,
}

impl IndexText {
    pub fn new(title: &str, body_md: &str) -> IndexText {
        let plain = markdown::plain_text(body_md);
        IndexText {
            title: query::fold(title),
            body: query::fold(&plain),
            plain,
        }
    }
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Integer)]
    id: i32,
}

// Only the index is read: joining `pages` to check each match's status would drag SQLite through
// every matching row's large columns. Visibility is the caller's (the in-memory tree knows it).
const SQLITE_SEARCH: &str = "SELECT rowid AS id FROM pages_fts WHERE pages_fts MATCH ? \
     ORDER BY bm25(pages_fts, 10.0, 1.0), rowid LIMIT ?";

const POSTGRES_SEARCH: &str = "SELECT id FROM pages, to_tsquery('english', $1) AS q \
     WHERE search_vector @@ q \
     ORDER BY (to_tsvector('english', search_title) @@ q) DESC, ts_rank(search_vector, q) DESC, id LIMIT $2";

/// The ids of all pages matching `q` (drafts included), best first: title matches before body
/// matches. Callers keep what the reader may see (`SiteTree::visible_by_id` for visitors).
pub fn search(conn: &mut DbConnection, q: &Query) -> QueryResult<Vec<i32>> {
    ranked(conn, q, SQLITE_SEARCH, POSTGRES_SEARCH, MAX_RESULTS)
}

/// The ids matching `q`, best first: on SQLite, `sqlite_sql` with the query's FTS5 form; on
/// PostgreSQL, `postgres_sql` with its tsquery.
fn ranked(
    conn: &mut DbConnection,
    q: &Query,
    sqlite_sql: &str,
    postgres_sql: &str,
    limit: i64,
) -> QueryResult<Vec<i32>> {
    if q.is_empty() {
        return Ok(Vec::new());
    }
    let hits: Vec<Hit> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(sqlite_sql)
            .bind::<Text, _>(q.fts5())
            .bind::<BigInt, _>(limit)
            .load(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(postgres_sql)
            .bind::<Text, _>(q.tsquery())
            .bind::<BigInt, _>(limit)
            .load(c)?,
    };
    Ok(hits.into_iter().map(|h| h.id).collect())
}

/// What a result shows: the page's address, title and plain text (for the snippet).
#[derive(Queryable, Debug, Clone)]
pub struct ResultPage {
    pub id: i32,
    pub path: String,
    pub title: String,
    pub summary: String,
    pub body_text: String,
}

/// The pages behind `ids`, in the order of `ids`.
pub fn load(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Vec<ResultPage>> {
    let rows: Vec<ResultPage> = pages::table
        .filter(pages::id.eq_any(ids))
        .select((
            pages::id,
            pages::path,
            pages::title,
            pages::summary,
            pages::body_text,
        ))
        .load(conn)?;
    Ok(ids
        .iter()
        .filter_map(|id| rows.iter().find(|r| r.id == *id).cloned())
        .collect())
}

/// About `words` words of the page's plain text around the first match, with the matches marked.
/// Reads the text only as far as the snippet reaches: results are long pages, and splitting and
/// folding every word of ten of them was most of a search.
pub fn snippet(text: &str, q: &Query, words: usize) -> crate::html::SafeHtml {
    let lead = words / 3;
    // Where the last `lead + 1` words start, to begin a few words before the match.
    let mut starts = std::collections::VecDeque::with_capacity(lead + 1);
    let (mut first, mut begin) = (0, 0);
    for (i, word) in text.split_whitespace().enumerate() {
        if starts.len() > lead {
            starts.pop_front();
        }
        starts.push_back((i, word.as_ptr() as usize - text.as_ptr() as usize));
        if q.matches(word) {
            (first, begin) = starts[0];
            break;
        }
    }
    let mut rest = text[begin..].split_whitespace();
    let mut picked = rest.by_ref().take(words).collect::<Vec<_>>().join(" ");
    if first > 0 {
        picked.insert_str(0, "… ");
    }
    if rest.next().is_some() {
        picked.push_str(" …");
    }
    crate::html::SafeHtml::highlighted(&picked, |w| q.matches(w))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn snippets_start_a_few_words_before_the_first_match() {
        let text: String =
            (0..200).map(|i| format!("w{i} ")).collect::<String>() + "Caching, café.";
        let q = Query::parse("caching");
        let s = snippet(&text, &q, 30);
        assert!(s.as_str().starts_with("… w190 w191"), "{}", s.as_str());
        assert!(
            s.as_str().contains("<mark>Caching,</mark> café."),
            "{}",
            s.as_str()
        );
        assert!(!s.as_str().ends_with('…'), "the text ends there");

        let s = snippet(&text, &Query::parse("cafe"), 5);
        assert_eq!(s.as_str(), "… Caching, <mark>café.</mark>");

        let s = snippet(&text, &Query::parse("nowhere"), 3);
        assert_eq!(s.as_str(), "w0 w1 w2 …", "no match: the start of the text");
        let s = snippet(&format!("  W0 {text}"), &Query::parse("w0"), 2);
        assert_eq!(s.as_str(), "<mark>W0</mark> <mark>w0</mark> …");
    }
}
