//! Start-up work, done once per start under a database-wide lock: migrations, re-rendering pages
//! from an older renderer, and on the very first start the admin account and the demo site.

use crate::accounts::password;
use crate::accounts::users::{self, Role};
use crate::audit::Actor;
use crate::config::Config;
use crate::content::{derived, pages, transfer};
use crate::db::{self, DbConnection};
use crate::site::demo;
use crate::snapshot::settings::{self, Settings};
use crate::tokens;

/// Set once the first start has completed; its absence means "fresh database".
const INITIALISED_KEY: &str = "initialised_at";

#[derive(Debug, Default)]
pub struct StartReport {
    pub migrations: usize,
    pub rerendered: usize,
    /// The first admin's e-mail and password, created by this start (print it once).
    pub new_admin: Option<(String, String)>,
    pub demo_pages: usize,
}

pub fn prepare(conn: &mut DbConnection, config: &Config) -> Result<StartReport, String> {
    db::with_startup_lock(conn, |conn| {
        let mut report = StartReport {
            migrations: db::migrate(conn)?,
            ..Default::default()
        };
        report.rerendered =
            derived::rerender_stale(conn).map_err(|e| format!("re-rendering pages failed: {e}"))?;
        ensure_secret(conn)?;
        check_sealing_key(conn, config)?;
        let initialised = settings::get(conn, INITIALISED_KEY)
            .map_err(|e| e.to_string())?
            .is_some();
        if !initialised {
            first_start(conn, config, &mut report)?;
        }
        Ok(report)
    })
}

/// The secret that signs session cookies, shared by all instances through the database.
fn ensure_secret(conn: &mut DbConnection) -> Result<(), String> {
    if settings::get(conn, settings::SESSION_SECRET_KEY)
        .map_err(|e| e.to_string())?
        .is_none()
    {
        let secret = format!("{}{}", tokens::random_token(), tokens::random_token());
        settings::set(conn, settings::SESSION_SECRET_KEY, &secret).map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// The database keeps a check value of the sealing key (never the key): an instance started with
/// another key would seal and open two-factor secrets that the others cannot, so it refuses.
fn check_sealing_key(conn: &mut DbConnection, config: &Config) -> Result<(), String> {
    let check = config.sealer()?.check_value();
    match settings::get(conn, settings::SEALING_KEY_CHECK).map_err(|e| e.to_string())? {
        None => settings::set(conn, settings::SEALING_KEY_CHECK, &check).map_err(|e| e.to_string()),
        Some(stored) if stored == check => Ok(()),
        Some(_) => Err(
            "the sealing key (GALLEY_SECRET_KEY, else secret.key in the data directory) is not the one \
             this database's two-factor secrets were sealed with: give this instance the same key as \
             the others (or restore the key file that came with the database)"
                .into(),
        ),
    }
}

fn first_start(
    conn: &mut DbConnection,
    config: &Config,
    report: &mut StartReport,
) -> Result<(), String> {
    let now = crate::clock::now();
    if users::count(conn).map_err(|e| e.to_string())? == 0 {
        let password = password::generate();
        users::create(conn, &config.admin_email, &password, Role::Admin, now).map_err(|e| {
            format!(
                "cannot create the first admin ({}): {e}",
                config.admin_email
            )
        })?;
        report.new_admin = Some((users::normalise_email(&config.admin_email), password));
    }
    if config.demo && pages::count(conn).map_err(|e| e.to_string())? == 0 {
        let imported = transfer::import(conn, None, demo::files(), &Actor::first_start(), now);
        if let Some((file, reason)) = imported.errors.first() {
            return Err(format!("demo content: {}: {reason}", file.display()));
        }
        report.demo_pages = imported.created;
        let site = Settings {
            tagline: "Fast Markdown websites with a friendly back office".into(),
            footer_text: "Made with galley.".into(),
            ..Settings::load(conn).map_err(|e| e.to_string())?
        };
        site.save(conn).map_err(|e| e.to_string())?;
    }
    settings::set(conn, INITIALISED_KEY, &now.to_string()).map_err(|e| e.to_string())
}
