//! Database access: one connection type over SQLite and PostgreSQL, the pool, embedded migrations,
//! `write` (a transaction that begins as a write), `lock_key` (a lock held to the end of one),
//! `run`, which moves blocking Diesel work off the async workers, and `read` for short reads.
//!
//! Lookups by a key that is unique use `get_result`, not `first`: `first` adds `LIMIT ?`, and
//! the bundled SQLite prepares a statement again each time a bound LIMIT is bound again (an
//! import re-prepared five statements a page, each a parse and a plan).

pub mod bulk;
pub mod schema;

use std::path::Path;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool, PooledConnection, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::error::AppError;

/// A connection to whichever backend `DATABASE_URL` names. Domain code takes `&mut DbConnection`
/// and stays backend-agnostic; the few statements that differ go through [`with_backend!`].
#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgres(PgConnection),
    Sqlite(SqliteConnection),
}

/// The backend type of `DbConnection` (for boxed queries).
pub type DbBackend = <DbConnection as diesel::Connection>::Backend;

/// The connection pool, knowing its backend (r2d2 does not expose its manager).
#[derive(Clone)]
pub struct DbPool {
    pool: Pool<Manager>,
    backend: Backend,
}

impl std::ops::Deref for DbPool {
    type Target = Pool<Manager>;

    fn deref(&self) -> &Pool<Manager> {
        &self.pool
    }
}
impl DbPool {
    pub fn backend(&self) -> Backend {
        self.backend
    }
}

pub type PooledConn = PooledConnection<Manager>;

/// Runs `$body` with `$c` bound to the concrete backend connection, for statements the shared
/// connection type cannot express (upserts, full-text search).
#[macro_export]
macro_rules! with_backend {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::DbConnection::Postgres($c) => $body,
            $crate::db::DbConnection::Sqlite($c) => $body,
        }
    };
}

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Serialises start-up work (migrations, first admin, demo content) between instances that start
/// together on one PostgreSQL database.
const STARTUP_LOCK_KEY: i64 = 0x6761_6c6c_6579; // "galley"

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

impl Backend {
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }
}

/// The r2d2 manager. Diesel's own `ConnectionManager` would try each backend in turn; this one
/// picks the backend from the URL, so a PostgreSQL URL never becomes an SQLite file name.
#[derive(Debug, Clone)]
pub struct Manager {
    url: String,
    backend: Backend,
}

impl Manager {
    pub fn new(url: &str) -> Manager {
        let backend = Backend::of_url(url);
        let url = match backend {
            Backend::Sqlite => url.strip_prefix("sqlite://").unwrap_or(url).to_owned(),
            Backend::Postgres => url.to_owned(),
        };
        Manager { url, backend }
    }
}

impl ManageConnection for Manager {
    type Connection = DbConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConnection, r2d2::Error> {
        match self.backend {
            Backend::Postgres => PgConnection::establish(&self.url)
                .map(DbConnection::Postgres)
                .map_err(r2d2::Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn =
                    SqliteConnection::establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
                // busy_timeout makes writers queue instead of failing with "database is locked"
                // (for transactions that begin as writes: see [`write`]). WAL is switched on
                // once, in [`connect`]. A small page cache per connection (256 KiB) holds the
                // B-tree's inner pages, which every lookup reads; the rest stays in the OS's page
                // cache, shared, instead of once per connection.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; \
                     PRAGMA synchronous = NORMAL; PRAGMA cache_size = -256;",
                )
                .map_err(r2d2::Error::QueryError)?;
                Ok(DbConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut DbConnection) -> Result<(), r2d2::Error> {
        conn.ping().map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut DbConnection) -> bool {
        conn.is_broken()
    }
}

/// Opens a pool for `url` (a `postgres://` URL, or an SQLite file path, created if missing).
pub fn connect(url: &str, max_size: u32) -> Result<DbPool, String> {
    let manager = Manager::new(url);
    if manager.backend == Backend::Sqlite {
        if manager.url == ":memory:" || manager.url.contains("mode=memory") {
            return Err(
                "an in-memory SQLite database cannot be shared by a pool; use a file".into(),
            );
        }
        if let Some(dir) = Path::new(&manager.url)
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
        {
            std::fs::create_dir_all(dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        }
    }
    if manager.backend == Backend::Sqlite {
        // Switching to WAL takes an exclusive lock, for which SQLite does not wait on a busy
        // handler: done by every connection of a new pool at once, some failed with "database
        // is locked". Once set, the mode is a property of the file.
        let mut conn = manager
            .connect()
            .map_err(|e| format!("cannot open the database: {e}"))?;
        conn.batch_execute("PRAGMA journal_mode = WAL;")
            .map_err(|e| format!("cannot switch the database to WAL mode: {e}"))?;
    }
    // A connection to a local SQLite file cannot go stale, so it is not pinged before each use
    // (the ping was a statement per request); a PostgreSQL connection can, so it is.
    let backend = manager.backend;
    let test_on_check_out = backend == Backend::Postgres;
    Pool::builder()
        .max_size(max_size)
        .test_on_check_out(test_on_check_out)
        .connection_timeout(Duration::from_secs(10))
        .build(manager)
        .map(|pool| DbPool { pool, backend })
        .map_err(|e| format!("cannot connect to the database: {e}"))
}

pub fn backend(conn: &DbConnection) -> Backend {
    match conn {
        DbConnection::Postgres(_) => Backend::Postgres,
        DbConnection::Sqlite(_) => Backend::Sqlite,
    }
}

/// Applies pending migrations; returns how many ran.
pub fn migrate(conn: &mut DbConnection) -> Result<usize, String> {
    let applied = match conn {
        DbConnection::Postgres(c) => c
            .run_pending_migrations(POSTGRES_MIGRATIONS)
            .map(|v| v.len()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|v| v.len()),
    };
    applied.map_err(|e| format!("migration failed: {e}"))
}

/// Applies pending migrations up to and including the one whose name starts with `version`
/// (`2026-11-21-000005`); returns how many ran. For tests of upgrades from an older schema.
pub fn migrate_through(conn: &mut DbConnection, version: &str) -> Result<usize, String> {
    fn through<DB: diesel::backend::Backend>(
        conn: &mut impl MigrationHarness<DB>,
        source: EmbeddedMigrations,
        version: &str,
    ) -> diesel::migration::Result<usize> {
        let mut ran = 0;
        for migration in conn.pending_migrations(source)? {
            let name = migration.name().to_string();
            if name.get(..version.len()).is_none_or(|v| v > version) {
                break;
            }
            conn.run_migration(&migration)?;
            ran += 1;
        }
        Ok(ran)
    }
    let ran = match conn {
        DbConnection::Postgres(c) => through(c, POSTGRES_MIGRATIONS, version),
        DbConnection::Sqlite(c) => through(c, SQLITE_MIGRATIONS, version),
    };
    ran.map_err(|e| format!("migration failed: {e}"))
}

/// Runs `f` while holding a database-wide lock, so instances starting together do their start-up
/// work one after another. SQLite serialises writers by itself.
pub fn with_startup_lock<T>(
    conn: &mut DbConnection,
    f: impl FnOnce(&mut DbConnection) -> Result<T, String>,
) -> Result<T, String> {
    let locked = matches!(conn, DbConnection::Postgres(_));
    if locked {
        diesel::sql_query(format!("SELECT pg_advisory_lock({STARTUP_LOCK_KEY})"))
            .execute(conn)
            .map_err(|e| format!("cannot take the start-up lock: {e}"))?;
    }
    let result = f(conn);
    if locked {
        let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({STARTUP_LOCK_KEY})"))
            .execute(conn);
    }
    result
}

/// Runs `f` in a transaction that may write. On SQLite it begins as a write (`BEGIN IMMEDIATE`):
/// a deferred transaction that reads and then writes fails at once with "database is locked" when
/// another connection wrote in between (the busy timeout does not apply to that upgrade), so
/// writers queue at `BEGIN` instead. Inside another transaction it is a savepoint.
pub fn write<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let DbConnection::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    let depth = AnsiTransactionManager::transaction_manager_status_mut(sqlite).transaction_depth();
    if !matches!(depth, Ok(None)) {
        return conn.transaction(f);
    }
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    type Manager = <DbConnection as diesel::Connection>::TransactionManager;
    match f(conn) {
        Ok(value) => {
            Manager::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => {
            // The caller's error says what went wrong; a failed rollback only adds to it.
            if let Err(rollback) = Manager::rollback_transaction(conn) {
                log::error!("rollback failed after an error: {rollback}");
            }
            Err(e)
        }
    }
}

/// Serialises, until the current transaction ends, every transaction that takes the lock for
/// `key` (a rate-limit counter, say) across instances: a read-count-then-write cannot be raced.
/// PostgreSQL takes a transaction-scoped advisory lock; on SQLite [`write`] already serialises
/// all writers, so there is nothing to take.
pub fn lock_key(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    if let DbConnection::Postgres(pg) = conn {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        debug_assert!(
            matches!(
                AnsiTransactionManager::transaction_manager_status_mut(pg).transaction_depth(),
                Ok(Some(_))
            ),
            "lock_key outside a transaction holds nothing"
        );
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
            .bind::<diesel::sql_types::Text, _>(key)
            .execute(pg)?;
    }
    Ok(())
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

diesel::define_sql_function! {
    /// SQL's `lower()`, for case-insensitive searches that work the same on both backends.
    fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text;
}

/// Runs a short read, such as a page by its path. On SQLite it runs right here on the async
/// worker: an indexed lookup in the OS page cache takes less time than handing the work to another
/// thread and back (that hand-off was a fifth of an uncached page view). PostgreSQL waits on the
/// network, so there, and when no SQLite connection is idle, it goes through [`run`].
pub async fn read<T, E, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    if pool.backend == Backend::Sqlite
        && let Some(mut conn) = pool.try_get()
    {
        return f(&mut conn).map_err(Into::into);
    }
    run(pool, f).await
}

/// Runs blocking database work on actix's blocking pool and maps its errors into `AppError`.
pub async fn run<T, E, F>(pool: &DbPool, f: F) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    run_waiting(pool, None, f).await
}

/// `run`, waiting at most `wait` for a connection (else the pool's own timeout): for answers
/// that must come quickly while the database is away (readiness, the metrics scrape).
pub async fn run_waiting<T, E, F>(
    pool: &DbPool,
    wait: Option<Duration>,
    f: F,
) -> Result<T, AppError>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E> + Send + 'static,
    T: Send + 'static,
    E: Into<AppError> + Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let asked = std::time::Instant::now();
        let conn = match wait {
            Some(wait) => pool.get_timeout(wait),
            None => pool.get(),
        };
        metrics::histogram!("galley_db_pool_wait_seconds").record(asked.elapsed().as_secs_f64());
        if conn.is_err() {
            metrics::counter!("galley_db_pool_timeouts_total").increment(1);
        }
        let mut conn = conn.map_err(AppError::from)?;
        f(&mut conn).map_err(Into::into)
    })
    .await
    .map_err(|e| AppError::Internal(format!("blocking task failed: {e}")))?
}
