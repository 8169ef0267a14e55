//! Writing an archive: one consistent snapshot (a read transaction on SQLite, REPEATABLE READ on
//! PostgreSQL, so it runs while the site serves and writes), read in batches, each row made a
//! JSON array by the database itself.

use std::io::Write;

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::archive::columns::{self, Column, Kind, quoted};
use crate::archive::{ArchiveError, FORMAT, Manifest, PARTS, Part, PartSummary, Progress};
use crate::db::DbConnection;

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    row: String,
}

/// How one column is read: as the archive carries it.
fn select_expr(conn: &DbConnection, column: &Column) -> String {
    let q = quoted(&column.name);
    match (conn, column.kind) {
        (DbConnection::Sqlite(_), Kind::Bytes) => format!("hex({q})"),
        (DbConnection::Sqlite(_), _) => q,
        (DbConnection::Postgres(_), Kind::Bool) => {
            format!("CASE WHEN {q} THEN 1 WHEN NOT {q} THEN 0 END")
        }
        // Not `::text`, which follows the session's DateStyle.
        (DbConnection::Postgres(_), Kind::Timestamp) => {
            format!("to_char({q}, 'YYYY-MM-DD HH24:MI:SS.US')")
        }
        (DbConnection::Postgres(_), Kind::Bytes) => format!("encode({q}, 'hex')"),
        (DbConnection::Postgres(_), _) => q,
    }
}

fn batch(
    conn: &mut DbConnection,
    part: &Part,
    exprs: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<Row>> {
    match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(format!(
            "SELECT json_array({exprs}) AS row FROM {} ORDER BY {} LIMIT ? OFFSET ?",
            part.table, part.order
        ))
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(c),
        DbConnection::Postgres(c) => diesel::sql_query(format!(
            "SELECT json_build_array({exprs})::text AS row FROM {} ORDER BY {} LIMIT $1 OFFSET $2",
            part.table, part.order
        ))
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(c),
    }
}

fn line(out: &mut dyn Write, value: &serde_json::Value) -> std::io::Result<()> {
    serde_json::to_writer(&mut *out, value)?;
    out.write_all(b"\n")
}

fn write_part(
    conn: &mut DbConnection,
    part: &Part,
    out: &mut dyn Write,
    progress: Progress,
) -> Result<PartSummary, ArchiveError> {
    let columns = columns::of(conn, part.table)?;
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    line(out, &json!({ "part": part.table, "columns": names }))?;
    let exprs = columns
        .iter()
        .map(|c| select_expr(conn, c))
        .collect::<Vec<_>>()
        .join(", ");
    // Files are large: one at a time, so memory holds at most the largest of them.
    let size = if part.table == "blobs" { 1 } else { 500 };
    let (mut rows, mut hash) = (0u64, Sha256::new());
    loop {
        let got = batch(conn, part, &exprs, size, rows as i64)?;
        for r in &got {
            out.write_all(r.row.as_bytes())?;
            out.write_all(b"\n")?;
            hash.update(r.row.as_bytes());
            hash.update(b"\n");
        }
        rows += got.len() as u64;
        progress(part.table, rows);
        if (got.len() as i64) < size {
            break;
        }
    }
    let sha256 = crate::tokens::hex(&hash.finalize());
    line(
        out,
        &json!({ "end": part.table, "rows": rows, "sha256": sha256 }),
    )?;
    Ok(PartSummary {
        name: part.table.to_owned(),
        rows,
        sha256,
    })
}

/// Writes the whole site to `out` (the caller compresses and names the file).
pub fn backup(
    conn: &mut DbConnection,
    out: &mut dyn Write,
    progress: Progress,
) -> Result<Manifest, ArchiveError> {
    let begin = match conn {
        DbConnection::Sqlite(_) => "BEGIN",
        DbConnection::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
    };
    crate::with_backend!(conn, |c| diesel::sql_query(begin).execute(c))?;
    let written = (|| {
        let mut manifest = Manifest {
            galley_version: env!("CARGO_PKG_VERSION").to_owned(),
            schema_version: columns::schema_version(conn)?,
            parts: Vec::new(),
        };
        line(
            out,
            &json!({
                "galley_archive": FORMAT,
                "galley_version": manifest.galley_version,
                "schema_version": manifest.schema_version,
                "created_at": crate::clock::iso(crate::clock::now()),
            }),
        )?;
        for part in PARTS {
            manifest.parts.push(write_part(conn, part, out, progress)?);
        }
        line(out, &json!({ "manifest": manifest }))?;
        out.flush()?;
        Ok::<_, ArchiveError>(manifest)
    })();
    // Read-only either way: the end of the snapshot.
    let _ = crate::with_backend!(conn, |c| diesel::sql_query("COMMIT").execute(c));
    written
}
