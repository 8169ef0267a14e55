//! Test support: a fresh database per test (an SQLite file, or a PostgreSQL database created from
//! `TEST_POSTGRES_URL` and dropped afterwards), the app built exactly as in production, fixtures.

pub mod browser;
pub mod fixtures;
pub mod http;
pub mod images;
pub mod openapi;
pub mod proxy;
pub mod smtp;

use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::{test, web};
use diesel::prelude::*;

use galley::app;
use galley::config::Config;
use galley::db::{self, DbConnection, DbPool};
use galley::site::bootstrap;
use galley::state::AppState;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// Runs each listed test once on SQLite and once on PostgreSQL (when `TEST_POSTGRES_URL` is set):
/// `db_tests!(a, b)` makes `sqlite::a`, `postgres::a`, ... from `async fn a(app: TestApp)`.
#[macro_export]
macro_rules! db_tests {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    super::$name($crate::common::TestApp::sqlite().await).await
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(app) = $crate::common::TestApp::postgres().await {
                        super::$name(app).await
                    }
                }
            )*
        }
    };
}

pub enum TestDb {
    /// Another test's database: not ours to drop.
    Borrowed(String),
    Sqlite {
        _dir: tempfile::TempDir,
        url: String,
    },
    Postgres {
        admin_url: String,
        name: String,
        url: String,
    },
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = dir.path().join("test.db").to_string_lossy().into_owned();
        TestDb::Sqlite { _dir: dir, url }
    }

    /// A new, empty PostgreSQL database, or `None` (with a note) when `TEST_POSTGRES_URL` is unset.
    pub fn postgres() -> Option<TestDb> {
        let Ok(admin_url) = std::env::var("TEST_POSTGRES_URL") else {
            eprintln!("skipped on PostgreSQL: TEST_POSTGRES_URL is not set");
            return None;
        };
        let name = format!(
            "galley_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed),
            rand_suffix()
        );
        let mut admin = PgConnection::establish(&admin_url).expect("connect to TEST_POSTGRES_URL");
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .expect("create test database");
        let url = with_database(&admin_url, &name);
        Some(TestDb::Postgres {
            admin_url,
            name,
            url,
        })
    }

    pub fn url(&self) -> &str {
        match self {
            TestDb::Borrowed(url) | TestDb::Sqlite { url, .. } | TestDb::Postgres { url, .. } => {
                url
            }
        }
    }

    /// Another fresh database on the same backend.
    pub fn sibling(&self) -> TestDb {
        match self {
            TestDb::Sqlite { .. } => TestDb::sqlite(),
            TestDb::Borrowed(url) if !url.starts_with("postgres") => TestDb::sqlite(),
            TestDb::Borrowed(_) | TestDb::Postgres { .. } => TestDb::postgres().expect("postgres"),
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let TestDb::Postgres {
            admin_url, name, ..
        } = self
            && let Ok(mut admin) = PgConnection::establish(admin_url)
        {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin);
        }
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{nanos:x}")
}

/// Replaces the database name in a PostgreSQL URL.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (url, String::new()),
    };
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(i) => &base[..scheme_end + i],
        None => base,
    };
    format!("{host_part}/{name}{query}")
}

pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    /// The body as it came (images are not text).
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The JSON-LD document of an HTML page.
    pub fn json_ld(&self) -> serde_json::Value {
        let start = self
            .body
            .find("<script type=\"application/ld+json\">")
            .expect("a JSON-LD script")
            + "<script type=\"application/ld+json\">".len();
        let end = start + self.body[start..].find("</script>").expect("closed script");
        serde_json::from_str(&self.body[start..end]).expect("valid JSON-LD")
    }
}

pub struct TestApp {
    pub db: TestDb,
    pub config: Config,
    pub state: web::Data<AppState>,
}

impl TestApp {
    pub async fn sqlite() -> TestApp {
        TestApp::start(TestDb::sqlite(), false).await
    }

    pub async fn postgres() -> Option<TestApp> {
        Some(TestApp::start(TestDb::postgres()?, false).await)
    }

    /// Prepares `db` as `galley serve` would (migrations, first start) and builds the state.
    pub async fn start(db: TestDb, demo: bool) -> TestApp {
        TestApp::with_config(
            db,
            Config {
                demo,
                ..Config::for_database("")
            },
        )
        .await
    }

    /// Like `start`, with a configuration of the test's own (its database URL is set here).
    pub async fn with_config(db: TestDb, config: Config) -> TestApp {
        let config = Config {
            database_url: Some(db.url().to_owned()),
            ..config
        };
        let pool = db::connect(db.url(), 4).expect("pool");
        let c = config.clone();
        let p = pool.clone();
        web::block(move || bootstrap::prepare(&mut p.get().expect("conn"), &c))
            .await
            .unwrap()
            .expect("bootstrap");
        let state = web::Data::new(AppState::new(pool, config.clone()).expect("state"));
        TestApp { db, config, state }
    }

    /// Another instance on the same database (its own state, cache and snapshot).
    pub async fn attach(other: &TestApp) -> TestApp {
        let pool = db::connect(other.db.url(), 4).expect("pool");
        let config = other.config.clone();
        let state = web::Data::new(AppState::new(pool, config.clone()).expect("state"));
        TestApp {
            db: TestDb::Borrowed(other.db.url().to_owned()),
            config,
            state,
        }
    }

    pub fn pool(&self) -> &DbPool {
        &self.state.pool
    }

    /// Runs `f` on a connection, then reloads the site snapshot as a handler does after writing.
    pub async fn with_conn_then_refresh<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> T + Send + 'static,
    ) -> T {
        let out = self.with_conn(f).await;
        self.state.refresh().await.expect("refresh");
        out
    }

    /// Runs `f` on a connection.
    pub async fn with_conn<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut DbConnection) -> T + Send + 'static,
    ) -> T {
        let pool = self.pool().clone();
        web::block(move || f(&mut pool.get().expect("conn")))
            .await
            .expect("blocking task")
    }

    pub async fn request(&self, req: test::TestRequest) -> TestResponse {
        let service = test::init_service(app::build(self.state.clone())).await;
        let req = req.to_request();
        let (method, path) = (req.method().to_string(), req.path().to_owned());
        let res = test::call_service(&service, req).await;
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = test::read_body(res).await;
        let res = TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        };
        if path.starts_with("/api/v1/") {
            let kind = res.header("content-type");
            openapi::check(&method, &path, status.as_u16(), kind, &res.body);
        }
        res
    }

    pub fn browser(&self) -> browser::Browser<'_> {
        browser::Browser::new(self)
    }

    /// Adds a user with `role` and the password [`password_of`] gives; returns the password.
    pub async fn user(&self, email: &str, role: galley::accounts::users::Role) -> String {
        let (email, password) = (email.to_owned(), password_of(email));
        let p = password.clone();
        self.with_conn(move |c| {
            galley::accounts::users::create(c, &email, &p, role, galley::clock::now()).unwrap()
        })
        .await;
        password
    }

    /// A browser signed in, through the form, as a new user with `email` and `role`.
    pub async fn signed_in(
        &self,
        email: &str,
        role: galley::accounts::users::Role,
    ) -> browser::Browser<'_> {
        let password = self.user(email, role).await;
        let mut b = self.browser();
        b.sign_in(email, &password).await;
        b
    }

    /// Adds a user with `role` and makes them an API token with `scopes` (space-separated);
    /// returns the token.
    pub async fn api_token(
        &self,
        email: &str,
        role: galley::accounts::users::Role,
        scopes: &str,
    ) -> String {
        self.user(email, role).await;
        let (email, scopes) = (email.to_owned(), scopes.to_owned());
        self.with_conn(move |c| {
            let user = galley::accounts::users::find_by_email(c, &email)
                .unwrap()
                .unwrap();
            let new = galley::api::tokens::NewToken {
                name: "publisher".into(),
                scopes: scopes
                    .split_whitespace()
                    .map(|s| galley::api::tokens::Scope::parse(s).unwrap())
                    .collect(),
                expires_at: None,
            };
            galley::api::tokens::create(c, user.id, &new, galley::clock::now())
                .unwrap()
                .1
        })
        .await
    }

    pub async fn get(&self, path: &str) -> TestResponse {
        self.request(test::TestRequest::get().uri(path)).await
    }
}

/// The password `TestApp::user` and `TestApp::signed_in` give the user with `email`.
pub fn password_of(email: &str) -> String {
    format!("password of {email}")
}

/// RFC 4648 base32 decoded, as an authenticator app reads the key a page shows (in groups, with
/// spaces).
pub fn unbase32(text: &str) -> Vec<u8> {
    const ALPHABET: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut count, mut out) = (0u64, 0, Vec::new());
    for c in text.chars().filter(|c| !c.is_whitespace()) {
        bits = (bits << 5) | ALPHABET.find(c).expect("base32") as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
        }
    }
    out
}

/// The number of the first entry `/admin/trash` lists (from its first form's action).
pub fn trash_entry(body: &str) -> String {
    body.split("action=\"/admin/trash/")
        .nth(1)
        .and_then(|s| s.split('/').next())
        .expect("an entry in the trash")
        .to_owned()
}
