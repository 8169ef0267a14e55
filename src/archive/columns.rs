//! What a table's columns are, read from the database's catalog, and how each kind travels in
//! the archive: integers and text as themselves, booleans as 0/1, timestamps as text
//! (`2026-12-01 09:30:00.123456`), bytes as hex. The same column can sit at another position
//! on the other backend: rows go by column name.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};

use crate::db::DbConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Int,
    Real,
    Text,
    Bool,
    Timestamp,
    Bytes,
}

impl Kind {
    fn of(declared: &str) -> Kind {
        let t = declared.to_ascii_lowercase();
        if t.contains("int") || t == "serial" {
            Kind::Int
        } else if t.contains("bool") {
            Kind::Bool
        } else if t.contains("timestamp") {
            Kind::Timestamp
        } else if t.contains("blob") || t.contains("bytea") {
            Kind::Bytes
        } else if t.contains("real") || t.contains("double") || t.contains("float") {
            Kind::Real
        } else {
            Kind::Text
        }
    }
}

#[derive(Debug, Clone)]
pub struct Column {
    pub name: String,
    pub kind: Kind,
}

#[derive(QueryableByName)]
struct CatalogRow {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    declared: String,
}

/// The columns of `table`, in the database's order; not the ones the database computes itself
/// (PostgreSQL's search vector), which it makes again from the rest.
pub fn of(conn: &mut DbConnection, table: &str) -> QueryResult<Vec<Column>> {
    let rows: Vec<CatalogRow> = match conn {
        DbConnection::Sqlite(c) => diesel::sql_query(
            "SELECT name, type AS declared FROM pragma_table_info(?) ORDER BY cid",
        )
        .bind::<Text, _>(table)
        .load(c)?,
        DbConnection::Postgres(c) => diesel::sql_query(
            "SELECT column_name::text AS name, data_type::text AS declared \
             FROM information_schema.columns \
             WHERE table_schema = current_schema() AND table_name = $1 \
               AND is_generated = 'NEVER' \
             ORDER BY ordinal_position",
        )
        .bind::<Text, _>(table)
        .load(c)?,
    };
    Ok(rows
        .into_iter()
        .map(|r| Column {
            kind: Kind::of(&r.declared),
            name: r.name,
        })
        .collect())
}

#[derive(QueryableByName)]
struct Version {
    #[diesel(sql_type = Text)]
    version: String,
}

/// The newest migration applied: archives move only between databases at the same one.
pub fn schema_version(conn: &mut DbConnection) -> QueryResult<String> {
    let q = "SELECT version FROM __diesel_schema_migrations ORDER BY version DESC LIMIT 1";
    let v: Version = crate::with_backend!(conn, |c| diesel::sql_query(q).get_result(c))?;
    Ok(v.version)
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = Integer)]
    n: i32,
}

/// Rows in `table` (the names come from `PARTS`, never from input).
pub fn count(conn: &mut DbConnection, table: &str) -> QueryResult<i64> {
    let q = format!("SELECT CAST(COUNT(*) AS INTEGER) AS n FROM {table}");
    let c: Count = crate::with_backend!(conn, |c| diesel::sql_query(&q).get_result(c))?;
    Ok(i64::from(c.n))
}

/// `"name"`, quoted for SQL (column names come from the catalog).
pub fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
