//! Configuration, read once at start-up from flags and their matching environment variables.
//! Every variable is documented here and in the README.

use std::path::PathBuf;

use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Database: a `postgres://` URL, or the path of an SQLite file (created if missing).
    /// Default: `galley.db` in the data directory.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Directory for galley's own files (the default SQLite database).
    #[arg(long, env = "GALLEY_DATA_DIR", default_value = "data", global = true)]
    pub data_dir: PathBuf,

    /// Address and port the web server listens on.
    #[arg(
        long,
        env = "GALLEY_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: String,

    /// Public URL of the site, used for canonical links, the sitemap and the feed
    /// (e.g. `https://docs.example.com`). A base URL saved in the admin settings takes precedence.
    /// Default: `http://` + the bind address.
    #[arg(long, env = "GALLEY_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// E-mail address of the admin account created on first start.
    #[arg(
        long,
        env = "GALLEY_ADMIN_EMAIL",
        default_value = "admin@example.com",
        global = true
    )]
    pub admin_email: String,

    /// Seed the demo site on first start (when the database has no pages yet).
    #[arg(long, env = "GALLEY_DEMO", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub demo: bool,

    /// Maximum number of database connections of this instance (default: 8 on PostgreSQL; on
    /// SQLite, two per worker).
    #[arg(long, env = "GALLEY_DB_POOL_SIZE", global = true)]
    pub db_pool_size: Option<u32>,

    /// Trust the `Forwarded` / `X-Forwarded-For` headers for the client address (set this only
    /// behind a reverse proxy that overwrites them). Used for sign-in throttling and the audit log.
    #[arg(long, env = "GALLEY_TRUST_PROXY", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub trust_proxy: bool,

    /// SMTP server for notification e-mails: `smtps://user:password@host:465` (TLS),
    /// `smtp://user:password@host:587?tls=required` (STARTTLS), or `smtp://host:25` (unencrypted,
    /// for a relay on the same machine). Unset: notifications off.
    #[arg(long, env = "GALLEY_SMTP_URL", global = true, hide_env_values = true)]
    pub smtp_url: Option<String>,

    /// The sender of notification e-mails.
    #[arg(
        long,
        env = "GALLEY_SMTP_FROM",
        default_value = "galley <galley@localhost>",
        global = true
    )]
    pub smtp_from: String,

    /// Who gets contact-form notifications; the recipient saved in the admin settings wins.
    #[arg(long, env = "GALLEY_NOTIFY_TO", global = true)]
    pub notify_to: Option<String>,

    /// Memory for the cache of rendered public pages, in MiB (0 turns the cache off).
    #[arg(
        long,
        env = "GALLEY_PAGE_CACHE_MB",
        default_value_t = 16,
        global = true
    )]
    pub page_cache_mb: usize,

    /// A folder for scheduled backups (archives as `galley backup` writes them). Unset: none.
    #[arg(long, env = "GALLEY_BACKUP_DIR", global = true)]
    pub backup_dir: Option<PathBuf>,

    /// How often a scheduled backup is made: `6h`, `30m`, `1d`, `90s`.
    #[arg(long, env = "GALLEY_BACKUP_EVERY", default_value = "6h", global = true)]
    pub backup_every: String,

    /// How many scheduled backups are kept (the oldest go first).
    #[arg(long, env = "GALLEY_BACKUP_KEEP", default_value_t = 7, global = true)]
    pub backup_keep: usize,

    /// Address and port of the Prometheus metrics listener (`/metrics`), e.g. `127.0.0.1:9090`.
    /// Unset: no metrics are kept. Never the public port.
    #[arg(long, env = "GALLEY_METRICS_BIND", global = true)]
    pub metrics_bind: Option<String>,

    /// Seconds the requests in flight get to finish after SIGTERM (or Ctrl-C) before the server
    /// stops anyway.
    #[arg(
        long,
        env = "GALLEY_SHUTDOWN_GRACE",
        default_value_t = 30,
        global = true
    )]
    pub shutdown_grace: u64,

    /// `text`, or `json` for one JSON object a line (request id, route, status, duration for
    /// each request), for log pipelines.
    #[arg(
        long,
        env = "GALLEY_LOG_FORMAT",
        default_value = "text",
        value_parser = ["text", "json"],
        global = true
    )]
    pub log_format: String,

    /// Seconds a request body may take to arrive in all; past it the request is answered 408.
    #[arg(long, env = "GALLEY_BODY_TIMEOUT", default_value_t = 30, global = true)]
    pub body_timeout: u64,

    /// Seconds a request body may pause between two chunks; past it the request is answered 408.
    #[arg(
        long,
        env = "GALLEY_BODY_IDLE_TIMEOUT",
        default_value_t = 5,
        global = true
    )]
    pub body_idle_timeout: u64,

    /// The key that seals two-factor secrets, kept out of the database so that a dump of it
    /// alone does not give them away. Unset: the file `secret.key` in the data directory,
    /// created on first start. Several instances need the same key.
    #[arg(long, env = "GALLEY_SECRET_KEY", global = true, hide_env_values = true)]
    pub secret_key: Option<String>,

    /// The largest file the media library accepts, in MiB (refused with 413 as it streams in).
    #[arg(
        long,
        env = "GALLEY_MAX_UPLOAD_MB",
        default_value_t = 20,
        global = true
    )]
    pub max_upload_mb: u64,

    /// The widths, in pixels, of the resized copies made of every image (never wider than it).
    #[arg(
        long,
        env = "GALLEY_MEDIA_WIDTHS",
        default_value = "320,640,960,1280,1920",
        value_delimiter = ',',
        global = true
    )]
    pub media_widths: Vec<u32>,

    /// The quality (0-100) of lossy WebP copies of images.
    #[arg(long, env = "GALLEY_WEBP_QUALITY", default_value_t = 80, global = true)]
    pub webp_quality: u8,

    /// Memory for the cache of hot image renditions and files, in MiB (0 turns it off).
    #[arg(
        long,
        env = "GALLEY_MEDIA_CACHE_MB",
        default_value_t = 64,
        global = true
    )]
    pub media_cache_mb: usize,

    /// Requests a minute that one address may make to the JSON API (`/api/v1/`), per instance;
    /// more are answered 429 with `Retry-After`. 0 turns the limit off.
    #[arg(
        long,
        env = "GALLEY_API_RATE_LIMIT",
        default_value_t = 600,
        global = true
    )]
    pub api_rate_limit: u32,

    /// Origins whose pages may call the JSON API from a browser (CORS), comma-separated, e.g.
    /// `https://app.example.com,https://www.example.com`. Unset: none.
    #[arg(
        long,
        env = "GALLEY_API_CORS_ORIGINS",
        value_delimiter = ',',
        global = true
    )]
    pub api_cors_origins: Vec<String>,

    /// Let webhooks reach loopback, private and link-local addresses (refused by default, after
    /// DNS resolution, so an endpoint cannot point galley at its own network). For local
    /// development and tests only.
    #[arg(long, env = "GALLEY_WEBHOOK_ALLOW_PRIVATE", default_value_t = false, action = clap::ArgAction::Set, global = true)]
    pub webhook_allow_private: bool,

    /// Web server worker threads (default: one per CPU core).
    #[arg(long, env = "GALLEY_WORKERS", global = true)]
    pub workers: Option<usize>,
}

/// How long a request body may take in all, and between two of its chunks.
#[derive(Clone, Copy, Debug)]
pub struct BodyDeadlines {
    pub total: std::time::Duration,
    pub idle: std::time::Duration,
    /// The total deadline of a file upload (`multipart/form-data`): ten times the total one, as
    /// a 20 MB photo takes a while on a slow line. The idle deadline still applies.
    pub upload: std::time::Duration,
}

impl Config {
    /// Web server workers: as configured, else one per CPU core.
    pub fn workers(&self) -> usize {
        self.workers
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()))
    }

    /// Database connections: as configured, else by backend. A PostgreSQL query waits on the
    /// network, so more connections than cores pay off. SQLite reads run on the worker itself and
    /// SQLite writes one at a time, so each worker needs one connection to read on and one for
    /// the work it hands off: every further connection would only add its caches to the memory
    /// (and each thread that uses one, its allocator arena).
    pub fn pool_size(&self) -> u32 {
        self.db_pool_size.unwrap_or_else(|| {
            match crate::db::Backend::of_url(&self.database_url()) {
                crate::db::Backend::Postgres => 8,
                crate::db::Backend::Sqlite => u32::try_from(2 * self.workers()).unwrap_or(8),
            }
        })
    }

    /// The deadlines of a request body.
    pub fn log_format(&self) -> crate::logging::Format {
        crate::logging::Format::parse(&self.log_format).unwrap_or(crate::logging::Format::Text)
    }

    pub fn body_deadlines(&self) -> BodyDeadlines {
        BodyDeadlines {
            total: std::time::Duration::from_secs(self.body_timeout.max(1)),
            idle: std::time::Duration::from_secs(self.body_idle_timeout.max(1)),
            upload: std::time::Duration::from_secs(self.body_timeout.max(1).saturating_mul(10)),
        }
    }

    /// The sealing key: `GALLEY_SECRET_KEY`, else the data directory's `secret.key` (made, readable
    /// by its owner only, when missing).
    pub fn sealing_key(&self) -> Result<String, String> {
        if let Some(key) = self.secret_key.as_deref().filter(|k| !k.trim().is_empty()) {
            return Ok(key.trim().to_owned());
        }
        let path = self.data_dir.join("secret.key");
        match std::fs::read_to_string(&path) {
            Ok(key) if !key.trim().is_empty() => return Ok(key.trim().to_owned()),
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(format!("cannot read {}: {e}", path.display())),
        }
        std::fs::create_dir_all(&self.data_dir)
            .map_err(|e| format!("cannot create {}: {e}", self.data_dir.display()))?;
        let key = crate::tokens::random_token() + &crate::tokens::random_token();
        write_private(&path, &key).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        Ok(key)
    }

    /// The sealer of two-factor secrets, keyed by [`Config::sealing_key`].
    pub fn sealer(&self) -> Result<crate::sealed::Sealer, String> {
        Ok(crate::sealed::Sealer::new(
            &self.sealing_key()?,
            "galley two-factor secrets v1",
        ))
    }

    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) if !url.trim().is_empty() => url.trim().to_owned(),
            _ => self
                .data_dir
                .join("galley.db")
                .to_string_lossy()
                .into_owned(),
        }
    }

    /// The base URL without a trailing slash.
    pub fn base_url(&self) -> String {
        match &self.base_url {
            Some(url) if !url.trim().is_empty() => url.trim().trim_end_matches('/').to_owned(),
            _ => format!("http://{}", self.bind),
        }
    }

    /// The upload limit in bytes.
    pub fn max_upload_bytes(&self) -> usize {
        usize::try_from(self.max_upload_mb.saturating_mul(1024 * 1024)).unwrap_or(usize::MAX)
    }

    /// Whether a page at `origin` may call the JSON API (CORS). Origins compare as browsers send
    /// them: scheme, host and port, lower-case, no trailing slash.
    pub fn api_origin_allowed(&self, origin: &str) -> bool {
        let clean = |o: &str| o.trim().trim_end_matches('/').to_ascii_lowercase();
        let origin = clean(origin);
        !origin.is_empty() && self.api_cors_origins.iter().any(|o| clean(o) == origin)
    }

    /// The rendition widths, sorted, without zeros or repeats.
    pub fn rendition_widths(&self) -> Vec<u32> {
        let mut w: Vec<u32> = self
            .media_widths
            .iter()
            .copied()
            .filter(|w| (16..=8192).contains(w))
            .collect();
        w.sort_unstable();
        w.dedup();
        w
    }

    /// A configuration for tests and tools: everything at its default.
    pub fn for_database(url: &str) -> Config {
        Config {
            database_url: Some(url.to_owned()),
            data_dir: PathBuf::from("data"),
            bind: "127.0.0.1:8080".into(),
            base_url: Some("http://galley.test".into()),
            admin_email: "admin@example.com".into(),
            demo: false,
            db_pool_size: Some(4),
            trust_proxy: false,
            page_cache_mb: 8,
            smtp_url: None,
            smtp_from: "galley <galley@localhost>".into(),
            notify_to: None,
            workers: None,
            body_timeout: 30,
            body_idle_timeout: 5,
            secret_key: Some("the tests' sealing key".into()),
            max_upload_mb: 20,
            media_widths: vec![320, 640, 960, 1280, 1920],
            webp_quality: 80,
            media_cache_mb: 16,
            api_rate_limit: 600,
            api_cors_origins: Vec::new(),
            webhook_allow_private: false,
            shutdown_grace: 30,
            metrics_bind: None,
            backup_dir: None,
            backup_every: "6h".into(),
            backup_keep: 7,
            log_format: "text".into(),
        }
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn pool_size_by_backend_unless_set() {
        let sqlite = Config {
            db_pool_size: None,
            workers: Some(3),
            ..Config::for_database("data/galley.db")
        };
        assert_eq!(sqlite.pool_size(), 6, "two per worker on SQLite");
        let postgres = Config {
            db_pool_size: None,
            ..Config::for_database("postgres://localhost/galley")
        };
        assert_eq!(postgres.pool_size(), 8);
        let set = Config {
            db_pool_size: Some(3),
            ..postgres
        };
        assert_eq!(set.pool_size(), 3);
    }
}
