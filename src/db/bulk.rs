//! Bulk writes (an import, a restore): the command's connection set up for them, and the
//! full-text index kept up once per batch, not once per row. Here rather than in `search`
//! because the archive, below the domains, needs it too.

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

/// Sets up a command's connection (`galley import`, `galley restore`) for a bulk write: on
/// SQLite a page cache of 64 MiB instead of the server's small one, and statement journals in
/// memory rather than a temporary file a page; on PostgreSQL new pages wait in the full-text
/// index's pending list until it outgrows 64 MB, and merged in larger runs each page costs less.
/// Never on a server's pooled connection: the settings last as long as the connection.
/// `finish` when done.
pub fn prepare(conn: &mut DbConnection) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY")
        }
        DbConnection::Postgres(c) => c.batch_execute("SET gin_pending_list_limit = '64MB'"),
    }
}

/// After a bulk write on PostgreSQL: the pending list merged now, not by the next save that
/// finds it over the server's own limit (nor scanned by every search meanwhile). Only speed is
/// at stake if it fails (the index is right either way): it warns.
pub fn finish(conn: &mut DbConnection) {
    if let DbConnection::Postgres(c) = conn {
        let merged =
            diesel::sql_query("SELECT gin_clean_pending_list('pages_search_idx'::regclass)")
                .execute(c);
        if let Err(e) = merged {
            log::warn!("the full-text index's pending list is left to the next save: {e}");
        }
    }
}
