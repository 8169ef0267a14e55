//! Bulk writes (an import, a restore): the full-text index kept up once per batch, not once per
//! row. Here rather than in `search` because the archive, below the domains, needs it too.

use diesel::prelude::*;

use crate::db::DbConnection;

/// Runs `f`'s writes with the full-text rows of the pages it creates added at its end, in one
/// statement, rather than one statement a page: FTS5 writes its pending terms out at every
/// statement savepoint, and each page's INSERT opens one (migration `000021_bulk_writes`). Must
/// run inside a transaction that rolls back as a whole if it fails (an import's batch). On
/// PostgreSQL the index is the page's own generated column: `f` alone.
pub fn index_deferred<T, E: From<diesel::result::Error>>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    if !matches!(conn, DbConnection::Sqlite(_)) {
        return f(conn);
    }
    let run = |conn: &mut DbConnection, sql: &str| {
        crate::with_backend!(conn, |c| diesel::sql_query(sql).execute(c))
    };
    run(
        conn,
        "INSERT INTO search_deferred (since) SELECT coalesce(max(id), 0) FROM pages",
    )?;
    let value = f(conn)?;
    run(
        conn,
        "INSERT INTO pages_fts (rowid, search_title, search_body) \
         SELECT id, search_title, search_body FROM pages \
         WHERE id > (SELECT since FROM search_deferred)",
    )?;
    run(conn, "DELETE FROM search_deferred")?;
    Ok(value)
}

/// Before a bulk write on PostgreSQL: new pages wait in the full-text index's pending list
/// until it outgrows this session's limit, and merged in larger runs each page costs less.
/// `merge_pending` when done.
pub fn pending_for_bulk(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => diesel::sql_query("SET gin_pending_list_limit = '64MB'")
            .execute(c)
            .map(drop),
        DbConnection::Sqlite(_) => Ok(()),
    }
}

/// After a bulk write on PostgreSQL: the pending list merged now, not by the next save that
/// finds it over the server's own limit (nor scanned by every search meanwhile).
pub fn merge_pending(conn: &mut DbConnection) -> QueryResult<()> {
    match conn {
        DbConnection::Postgres(c) => {
            diesel::sql_query("SELECT gin_clean_pending_list('pages_search_idx'::regclass)")
                .execute(c)
                .map(drop)
        }
        DbConnection::Sqlite(_) => Ok(()),
    }
}
