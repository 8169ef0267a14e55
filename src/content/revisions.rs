//! Page revisions: a copy of the editable text at every save, with who, when and a note.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use similar::{ChangeTag, TextDiff};

use crate::content::pages::Page;
use crate::db::DbConnection;
use crate::db::schema::{page_revisions, users};

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = page_revisions)]
pub struct Revision {
    pub id: i32,
    pub page_id: i32,
    pub version: i32,
    pub title: String,
    pub slug: String,
    pub summary: String,
    pub body_md: String,
    pub status: String,
    pub publish_at: Option<NaiveDateTime>,
    pub author_id: Option<i32>,
    pub note: String,
    pub created_at: NaiveDateTime,
}

/// A revision as listed: without its text, with its author's e-mail (fields in select order).
#[derive(Queryable, Debug, Clone)]
pub struct RevisionSummary {
    pub id: i32,
    pub version: i32,
    pub title: String,
    pub status: String,
    pub note: String,
    pub author: Option<String>,
    pub created_at: NaiveDateTime,
}

/// Stores the page as it now is.
pub fn record(
    conn: &mut DbConnection,
    page: &Page,
    author_id: Option<i32>,
    note: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        page_revisions::page_id.eq(page.id),
        page_revisions::version.eq(page.version),
        page_revisions::title.eq(&page.title),
        page_revisions::slug.eq(&page.slug),
        page_revisions::summary.eq(&page.summary),
        page_revisions::body_md.eq(&page.body_md),
        page_revisions::status.eq(&page.status),
        page_revisions::publish_at.eq(page.publish_at),
        page_revisions::author_id.eq(author_id),
        page_revisions::note.eq(note.trim().chars().take(300).collect::<String>()),
        page_revisions::created_at.eq(now),
    );
    // On the concrete connection, whose statement cache finds the statement by its type.
    crate::with_backend!(conn, |c| diesel::insert_into(page_revisions::table)
        .values(row)
        .execute(c))
    .map(drop)
}

pub fn list(conn: &mut DbConnection, page_id: i32) -> QueryResult<Vec<RevisionSummary>> {
    page_revisions::table
        .left_join(users::table)
        .filter(page_revisions::page_id.eq(page_id))
        .order(page_revisions::id.desc())
        .select((
            page_revisions::id,
            page_revisions::version,
            page_revisions::title,
            page_revisions::status,
            page_revisions::note,
            users::email.nullable(),
            page_revisions::created_at,
        ))
        .load(conn)
}

pub fn find(conn: &mut DbConnection, page_id: i32, id: i32) -> QueryResult<Revision> {
    page_revisions::table
        .filter(page_revisions::page_id.eq(page_id))
        .filter(page_revisions::id.eq(id))
        .select(Revision::as_select())
        .get_result(conn)
}

/// One line of a line-by-line diff.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    /// `equal`, `delete` or `insert`.
    pub kind: &'static str,
    pub old_no: Option<usize>,
    pub new_no: Option<usize>,
    pub text: String,
}

/// The changes from `old` to `new`, line by line, with unchanged runs cut to 3 lines of context.
pub fn diff(old: &str, new: &str) -> Vec<Vec<DiffLine>> {
    let diff = TextDiff::from_lines(old, new);
    diff.grouped_ops(3)
        .iter()
        .map(|group| {
            group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|change| DiffLine {
                    kind: match change.tag() {
                        ChangeTag::Equal => "equal",
                        ChangeTag::Delete => "delete",
                        ChangeTag::Insert => "insert",
                    },
                    old_no: change.old_index().map(|i| i + 1),
                    new_no: change.new_index().map(|i| i + 1),
                    text: change.value().trim_end_matches(['\n', '\r']).to_owned(),
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_are_line_by_line_with_numbers() {
        let hunks = diff("a\nb\nc\n", "a\nB\nc\nd\n");
        let lines: Vec<_> = hunks
            .concat()
            .into_iter()
            .map(|l| (l.kind, l.old_no, l.new_no, l.text))
            .collect();
        assert!(lines.contains(&("delete", Some(2), None, "b".into())));
        assert!(lines.contains(&("insert", None, Some(2), "B".into())));
        assert!(lines.contains(&("insert", None, Some(4), "d".into())));
        assert!(diff("same\n", "same\n").is_empty());
    }
}
