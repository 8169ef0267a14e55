//! Reading an archive back: into an empty database of either backend (or any, with `force`), in
//! one transaction, every part checked against its row count and checksum and the manifest at the
//! end; anything wrong rolls the whole restore back and names the part that failed. Stored HTML
//! comes along, so nothing is rendered again.

use std::io::BufRead;

use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::archive::columns::{self, Column, Kind, quoted};
use crate::archive::{ArchiveError, FORMAT, Manifest, PARTS, PartSummary, Progress, SERIAL};
use crate::db::DbConnection;

/// The archive's lines, each with the part it belongs to (for saying where it broke).
struct Lines<'a> {
    input: &'a mut dyn BufRead,
    part: String,
}

impl Lines<'_> {
    /// The next line; `None` at the end of the archive.
    fn next(&mut self) -> Result<Option<String>, ArchiveError> {
        let mut line = String::new();
        match self.input.read_line(&mut line) {
            Ok(0) => Ok(None),
            Ok(_) => Ok(Some(line.trim_end_matches('\n').to_owned())),
            Err(e) => Err(ArchiveError::damaged(&self.part, e.to_string())),
        }
    }

    fn json(&mut self, what: &str) -> Result<Value, ArchiveError> {
        let line = self
            .next()?
            .ok_or_else(|| ArchiveError::damaged(&self.part, format!("truncated before {what}")))?;
        serde_json::from_str(&line).map_err(|e| ArchiveError::damaged(&self.part, e.to_string()))
    }
}

fn placeholder(conn: &DbConnection, kind: Kind, i: usize) -> String {
    match (conn, kind) {
        (DbConnection::Sqlite(_), Kind::Bytes) => "unhex(?)".into(),
        (DbConnection::Sqlite(_), _) => "?".into(),
        (DbConnection::Postgres(_), Kind::Int) => format!("${i}::bigint"),
        (DbConnection::Postgres(_), Kind::Real) => format!("${i}::double precision"),
        (DbConnection::Postgres(_), Kind::Bool) => format!("${i}::boolean"),
        (DbConnection::Postgres(_), Kind::Timestamp) => format!("${i}::timestamp"),
        (DbConnection::Postgres(_), Kind::Bytes) => format!("decode(${i}, 'hex')"),
        (DbConnection::Postgres(_), Kind::Text) => format!("${i}"),
    }
}

fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        other => Some(other.to_string()),
    }
}

fn execute(
    conn: &mut DbConnection,
    sql: &str,
    values: impl IntoIterator<Item = Option<String>>,
) -> QueryResult<usize> {
    crate::with_backend!(conn, |c| {
        let mut q = diesel::sql_query(sql).into_boxed();
        for v in values {
            q = q.bind::<Nullable<Text>, _>(v);
        }
        q.execute(c)
    })
}

/// Rows stored a statement: a round trip (and on PostgreSQL a parse) for a batch, not for a
/// row; under both backends' limits on bound values, and a few MB of page texts at most.
fn rows_a_statement(columns: usize) -> usize {
    (30_000 / columns.max(1)).clamp(1, 100)
}

/// The INSERT of `rows` rows into `table`: its columns and, per row, their placeholders.
struct Insert {
    head: String,
    kinds: Vec<Kind>,
}

impl Insert {
    fn new(table: &str, names: &[String], columns: &[&Column]) -> Insert {
        let names: Vec<String> = names.iter().map(|n| quoted(n)).collect();
        Insert {
            head: format!("INSERT INTO {table} ({}) VALUES ", names.join(", ")),
            kinds: columns.iter().map(|c| c.kind).collect(),
        }
    }

    /// Stores `rows` (each a value a column) in one statement.
    fn run(&self, conn: &mut DbConnection, rows: Vec<Vec<Option<String>>>) -> QueryResult<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let width = self.kinds.len();
        let tuples: Vec<String> = (0..rows.len())
            .map(|r| {
                let one: Vec<String> = self
                    .kinds
                    .iter()
                    .enumerate()
                    .map(|(i, kind)| placeholder(conn, *kind, r * width + i + 1))
                    .collect();
                format!("({})", one.join(", "))
            })
            .collect();
        let sql = format!("{}{}", self.head, tuples.join(", "));
        execute(conn, &sql, rows.into_iter().flatten()).map(drop)
    }
}

/// Reads one part into its table; returns what its end line vouched for.
fn read_part(
    conn: &mut DbConnection,
    lines: &mut Lines,
    expected: &str,
    progress: Progress,
) -> Result<PartSummary, ArchiveError> {
    lines.part = expected.to_owned();
    let head = lines.json("the part")?;
    if head["part"] != expected {
        return Err(ArchiveError::damaged(
            expected,
            "the part is missing or out of order",
        ));
    }
    let names: Vec<String> = serde_json::from_value(head["columns"].clone())
        .map_err(|e| ArchiveError::damaged(expected, e.to_string()))?;
    let here = columns::of(conn, expected)?;
    let columns: Vec<&Column> = names
        .iter()
        .map(|n| {
            here.iter().find(|c| c.name == *n).ok_or_else(|| {
                ArchiveError::Refused(format!("{expected}.{n} does not exist in this database"))
            })
        })
        .collect::<Result<_, _>>()?;
    let insert = Insert::new(expected, &names, &columns);
    let per_statement = rows_a_statement(names.len());
    let mut waiting: Vec<Vec<Option<String>>> = Vec::with_capacity(per_statement);
    // A page may come before its parent (a page in the trash keeps pointing at a hub moved
    // deeper since) and PostgreSQL checks the key at the end of each statement: such a page's
    // parent is set after the part. Only those: setting it rewrites the row (and on PostgreSQL
    // computes its search vector again).
    let deferred = (expected == "pages")
        .then(|| {
            let at = |n: &str| names.iter().position(|c| c == n);
            at("id").zip(at("parent_id"))
        })
        .flatten();
    let mut parents: Vec<(String, String)> = Vec::new();
    let mut stored = std::collections::HashSet::new();
    let (mut rows, mut hash) = (0u64, Sha256::new());
    loop {
        let line = lines
            .next()?
            .ok_or_else(|| ArchiveError::damaged(expected, "truncated: the part never ends"))?;
        if line.starts_with('{') {
            let end: Value = serde_json::from_str(&line)
                .map_err(|e| ArchiveError::damaged(expected, e.to_string()))?;
            let sha256 = crate::tokens::hex(&hash.finalize());
            let vouched = (end["end"] == expected
                && end["rows"].as_u64() == Some(rows)
                && end["sha256"].as_str() == Some(sha256.as_str()))
            .then_some(PartSummary {
                name: expected.to_owned(),
                rows,
                sha256,
            });
            let vouched = vouched.ok_or_else(|| {
                ArchiveError::damaged(expected, "its rows do not match its count and checksum")
            })?;
            insert.run(conn, waiting)?;
            set_parents(conn, &parents)?;
            return Ok(vouched);
        }
        hash.update(line.as_bytes());
        hash.update(b"\n");
        let values: Vec<Value> = serde_json::from_str(&line)
            .map_err(|e| ArchiveError::damaged(expected, format!("row {}: {e}", rows + 1)))?;
        if values.len() != names.len() {
            return Err(ArchiveError::damaged(
                expected,
                format!(
                    "row {} has {} values for {} columns",
                    rows + 1,
                    values.len(),
                    names.len()
                ),
            ));
        }
        let mut values: Vec<Option<String>> = values.iter().map(as_text).collect();
        if let Some((id, parent)) = deferred
            && let Some(id) = values[id].clone()
        {
            if let Some(p) = values[parent].take_if(|p| !stored.contains(p)) {
                parents.push((id.clone(), p));
            }
            stored.insert(id);
        }
        waiting.push(values);
        if waiting.len() == per_statement {
            insert.run(conn, std::mem::take(&mut waiting))?;
        }
        rows += 1;
        if rows.is_multiple_of(1000) {
            progress(expected, rows);
        }
    }
}

fn set_parents(conn: &mut DbConnection, parents: &[(String, String)]) -> QueryResult<()> {
    let sql = match conn {
        DbConnection::Sqlite(_) => "UPDATE pages SET parent_id = ? WHERE id = ?",
        DbConnection::Postgres(_) => {
            "UPDATE pages SET parent_id = $1::bigint WHERE id = $2::bigint"
        }
    };
    for (id, parent) in parents {
        execute(conn, sql, [Some(parent.clone()), Some(id.clone())])?;
    }
    Ok(())
}

#[derive(diesel::QueryableByName)]
struct Version {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    content_version: i64,
}

fn content_version(conn: &mut DbConnection) -> QueryResult<i64> {
    let q = "SELECT content_version FROM site_state WHERE id = 1";
    let v: Option<Version> =
        crate::with_backend!(conn, |c| diesel::sql_query(q).get_result(c).optional())?;
    Ok(v.map_or(0, |v| v.content_version))
}

/// Whether the database holds a site already (accounts, pages or files).
fn holds_a_site(conn: &mut DbConnection) -> QueryResult<Option<String>> {
    let (users, pages, media) = (
        columns::count(conn, "users")?,
        columns::count(conn, "pages")?,
        columns::count(conn, "media")?,
    );
    Ok((users + pages + media > 0)
        .then(|| format!("{users} account(s), {pages} page(s), {media} file(s)")))
}

/// Moves PostgreSQL's id sequences past the restored ids (SQLite keeps its own count).
fn restore_sequences(conn: &mut DbConnection) -> QueryResult<()> {
    if let DbConnection::Postgres(c) = conn {
        for table in SERIAL {
            diesel::sql_query(format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(c)?;
        }
    }
    Ok(())
}

/// Restores the archive read from `input` (already decompressed).
pub fn restore(
    conn: &mut DbConnection,
    input: &mut dyn BufRead,
    force: bool,
    progress: Progress,
) -> Result<Manifest, ArchiveError> {
    let mut lines = Lines {
        input,
        part: "the header".into(),
    };
    let header = lines.json("the header")?;
    if header["galley_archive"].as_u64() != Some(u64::from(FORMAT)) {
        return Err(ArchiveError::damaged(
            "the header",
            "not a galley archive of this format",
        ));
    }
    let schema = columns::schema_version(conn)?;
    if header["schema_version"].as_str() != Some(schema.as_str()) {
        return Err(ArchiveError::Refused(format!(
            "the archive is of schema {}, this database of {schema}: restore it with the galley \
             version that made it (or upgrade that one's database first)",
            header["schema_version"]
        )));
    }
    if !force && let Some(held) = holds_a_site(conn)? {
        return Err(ArchiveError::Refused(format!(
            "the database is not empty ({held}): restore into an empty one, or pass --force to \
             replace everything in it"
        )));
    }
    crate::db::write(conn, |c| {
        // Versions only go forward: caches and ETags made from the old content must not match.
        let version_before = content_version(c)?;
        if let DbConnection::Sqlite(s) = c {
            diesel::sql_query("PRAGMA defer_foreign_keys = ON").execute(s)?;
        }
        for table in ["sessions", "login_throttle", "api_idempotency"]
            .into_iter()
            .chain(PARTS.iter().rev().map(|p| p.table))
        {
            crate::with_backend!(c, |b| diesel::sql_query(format!("DELETE FROM {table}"))
                .execute(b))?;
        }
        // On SQLite the pages enter the full-text index in one statement at the end, not a
        // statement (and an index flush) a batch of rows.
        let parts = crate::db::bulk::index_deferred(c, |c| {
            let mut parts = Vec::with_capacity(PARTS.len());
            for part in PARTS {
                parts.push(read_part(c, &mut lines, part.table, progress)?);
                progress(part.table, parts.last().map_or(0, |p| p.rows));
            }
            Ok::<_, ArchiveError>(parts)
        })?;
        lines.part = "the manifest".into();
        let trailer = lines.json("the manifest")?;
        let manifest: Manifest = serde_json::from_value(trailer["manifest"].clone())
            .map_err(|e| ArchiveError::damaged("the manifest", e.to_string()))?;
        if manifest.parts != parts {
            return Err(ArchiveError::damaged(
                "the manifest",
                "it disagrees with the parts",
            ));
        }
        for part in &parts {
            if columns::count(c, &part.name)? as u64 != part.rows {
                return Err(ArchiveError::damaged(
                    &part.name,
                    "not every row was stored",
                ));
            }
        }
        restore_sequences(c)?;
        let version = content_version(c)?.max(version_before) + 1;
        crate::with_backend!(c, |b| diesel::sql_query(format!(
            "UPDATE site_state SET content_version = {version} WHERE id = 1"
        ))
        .execute(b))?;
        Ok(manifest)
    })
}
