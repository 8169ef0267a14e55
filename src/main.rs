//! The `galley` command: parses the command line and wires the library together.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::process::ExitCode;

use actix_web::{HttpServer, web};
use clap::{Parser, Subcommand};

use galley::accounts::management;
use galley::accounts::users::{self, Role};
use galley::app;
use galley::audit::Actor;
use galley::config::Config;
use galley::content::transfer;
use galley::db::{self, DbPool};
use galley::media::{editing, intake, jobs, library, store as media_store};
use galley::progress::Progress;
use galley::site::bootstrap;
use galley::state::AppState;

#[derive(Parser)]
#[command(
    name = "galley",
    version,
    about = "A content-management website server"
)]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web server (the default): applies migrations, creates the first admin and the demo
    /// site on a fresh database.
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Manage user accounts.
    #[command(subcommand)]
    User(UserCommand),
    /// Create or update pages from a folder of Markdown files with TOML front matter.
    Import { dir: PathBuf },
    /// Write every page to a folder in the import format.
    Export { dir: PathBuf },
    /// The media library, for scripts.
    #[command(subcommand)]
    Media(MediaCommand),
    /// Write the whole site (every table, media bytes included) to one archive file, from one
    /// consistent snapshot, while the server runs.
    Backup {
        file: PathBuf,
        /// SQLite only: the engine's own copy of the database file (`VACUUM INTO`), the fastest
        /// backup to restore on SQLite.
        #[arg(long)]
        sqlite: bool,
    },
    /// API tokens, for scripts.
    #[command(subcommand)]
    Token(galley::api::cli::TokenCommand),
    /// Load an archive into this database (either backend), checking every part.
    Restore {
        file: PathBuf,
        /// Replace what the database holds (otherwise it must be empty).
        #[arg(long)]
        force: bool,
    },
}

#[derive(Subcommand)]
enum MediaCommand {
    /// Add files to the library (all of them, or none if one is refused) and make their resized
    /// copies. Images need --alt.
    Add {
        #[arg(required = true)]
        files: Vec<PathBuf>,
        /// What the images show, for people who cannot see them.
        #[arg(long, default_value = "")]
        alt: String,
        /// The title (default: from each file's name).
        #[arg(long, default_value = "")]
        title: String,
        #[arg(long, default_value = "")]
        caption: String,
        #[arg(long, default_value = "")]
        credit: String,
    },
    /// List the library: id, type, size, dimensions, title and address.
    List,
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add an account; the password is read from standard input when it is not a terminal.
    Add {
        email: String,
        #[arg(long, value_parser = ["admin", "editor", "author"], default_value = "editor")]
        role: String,
    },
    /// Set an account's password (read from standard input when it is not a terminal).
    Passwd { email: String },
    /// Turn off an account's two-factor sign-in (for an admin who lost their phone and their
    /// recovery codes).
    #[command(name = "reset-2fa")]
    Reset2fa { email: String },
    /// List accounts.
    List,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    galley::logging::init(cli.config.log_format());
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(cli.config),
        Command::Migrate => open(&cli.config).map(|_| println!("Database is up to date.")),
        Command::User(cmd) => open(&cli.config).and_then(|pool| user(&pool, cmd)),
        Command::Import { dir } => {
            open(&cli.config).and_then(|pool| import(&pool, &cli.config, &dir))
        }
        Command::Export { dir } => open(&cli.config).and_then(|pool| export(&pool, &dir)),
        Command::Token(cmd) => open(&cli.config).and_then(|pool| galley::api::cli::run(&pool, cmd)),
        Command::Media(cmd) => open(&cli.config).and_then(|pool| media(&pool, &cli.config, cmd)),
        Command::Backup { file, sqlite } => open(&cli.config)
            .and_then(|pool| galley::archive::file::backup_command(&pool, &file, sqlite)),
        Command::Restore { file, force } => open(&cli.config)
            .and_then(|pool| galley::archive::file::restore_command(&pool, &file, force)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("galley: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Connects and applies pending migrations.
fn open(config: &Config) -> Result<DbPool, String> {
    let pool = db::connect(&config.database_url(), config.pool_size())?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    db::with_startup_lock(&mut conn, db::migrate)?;
    drop(conn);
    Ok(pool)
}

fn serve(config: Config) -> Result<(), String> {
    actix_web::rt::System::new().block_on(run_server(config))
}

async fn run_server(config: Config) -> Result<(), String> {
    let pool = db::connect(&config.database_url(), config.pool_size())?;
    let mut conn = pool
        .get()
        .map_err(|e| format!("cannot connect to the database: {e}"))?;
    let report = bootstrap::prepare(&mut conn, &config)?;
    drop(conn);
    if report.migrations > 0 {
        log::info!("applied {} migration(s)", report.migrations);
    }
    if report.rerendered > 0 {
        log::info!(
            "re-rendered {} page(s) with the current Markdown renderer",
            report.rerendered
        );
    }
    if report.demo_pages > 0 {
        log::info!("created the demo site ({} pages)", report.demo_pages);
    }

    let bind = config.bind.clone();
    let workers = config.workers();
    let pool_size = config.pool_size();
    let backend = pool.backend();
    let state = web::Data::new(AppState::new(pool, config)?);
    let base_url = state.site.current().base_url.clone();
    actix_web::rt::spawn(app::follow_content_changes(state.clone()));
    let mailer = actix_web::rt::spawn(galley::contact::mailer::worker(state.clone()));
    let webhooks = actix_web::rt::spawn(galley::webhooks::worker::worker(state.clone()));
    let renditions = jobs::spawn_worker(
        state.pool.clone(),
        state.config.webp_quality,
        state.stopping.clone(),
    )
    .map_err(|e| format!("cannot start the rendition worker: {e}"))?;
    if let Some(dir) = state.config.backup_dir.clone() {
        use galley::archive::schedule;
        let every = schedule::parse_every(&state.config.backup_every)
            .ok_or("GALLEY_BACKUP_EVERY: write it like 6h, 30m, 1d or 90s")?;
        let keep = state.config.backup_keep;
        schedule::spawn(state.pool.clone(), dir, every, keep, state.stopping.clone())
            .map_err(|e| format!("cannot start the backup scheduler: {e}"))?;
    }
    if state.mailer.is_none() {
        log::info!("notification e-mails are off: GALLEY_SMTP_URL is not set");
    }

    let factory_state = state.clone();
    // Blocking work is database work: more threads than pooled connections would only queue,
    // and every thread that allocates gets an allocator arena of its own, which keeps the memory
    // it once held. On SQLite a worker reads on one connection of its share itself; the rest of
    // its share is for its blocking threads.
    let share = (pool_size as usize).div_ceil(workers);
    let blocking = match backend {
        db::Backend::Sqlite => share.saturating_sub(1).max(1),
        db::Backend::Postgres => share.max(1),
    };
    let grace = state.config.shutdown_grace;
    // On SIGTERM (or Ctrl-C) the server stops accepting and gives the requests in flight up to
    // `grace` seconds; then the background workers wind down (`app::wind_down`).
    let server = HttpServer::new(move || app::build(factory_state.clone()))
        .workers(workers)
        .worker_max_blocking_threads(blocking)
        .shutdown_timeout(grace);
    let server = server
        .bind(&bind)
        .map_err(|e| format!("cannot listen on {bind}: {e}"))?;

    println!("\ngalley is running at {base_url}/ (listening on {bind})");
    println!("Sign in at {base_url}/login");
    if let Some((email, password)) = &report.new_admin {
        // Printed once, on the terminal only: it is not logged and never shown again.
        println!("\nFirst admin account created. Keep this password; it will not be shown again.");
        println!("  e-mail:   {email}\n  password: {password}\n");
    }
    let metrics = match state.config.metrics_bind.clone() {
        Some(addr) => {
            let (handle, s) = (galley::telemetry::install(), state.clone());
            let metrics =
                HttpServer::new(move || galley::telemetry::app(s.clone(), handle.clone()))
                    .workers(1)
                    .disable_signals()
                    .bind(&addr)
                    .map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?
                    .run();
            println!("Metrics at http://{addr}/metrics");
            let stop = metrics.handle();
            actix_web::rt::spawn(metrics);
            Some(stop)
        }
        None => None,
    };
    let served = server.run().await;
    if let Some(metrics) = metrics {
        metrics.stop(true).await;
    }
    app::wind_down(&state, [mailer, webhooks], renditions).await;
    served.map_err(|e| format!("server error: {e}"))
}

/// A password from standard input: prompted twice on a terminal, else the first line.
fn read_password() -> Result<String, String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("New password: ").map_err(|e| e.to_string())?;
        let again = rpassword::prompt_password("Repeat it: ").map_err(|e| e.to_string())?;
        if first != again {
            return Err("the passwords do not match".into());
        }
        Ok(first)
    } else {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| e.to_string())?;
        Ok(line.trim_end_matches(['\r', '\n']).to_owned())
    }
}

fn user(pool: &DbPool, cmd: UserCommand) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    match cmd {
        UserCommand::Add { email, role } => {
            let role = Role::parse(&role).ok_or("role must be admin, editor or author")?;
            let password = read_password()?;
            let (user, _) =
                management::add_user(&mut conn, &email, &password, role, false, &Actor::cli())
                    .map_err(|e| e.to_string())?;
            println!("Added {} ({}).", user.email, user.role);
        }
        UserCommand::Passwd { email } => {
            let password = read_password()?;
            management::set_password(&mut conn, &email, &password, &Actor::cli())
                .map_err(|e| e.to_string())?;
            println!("Password changed for {}.", users::normalise_email(&email));
        }
        UserCommand::Reset2fa { email } => {
            let user = management::reset_two_factor(&mut conn, &email, &Actor::cli())
                .map_err(|e| e.to_string())?;
            println!(
                "Two-factor sign-in is off for {}; they can sign in with their password and set it up again.",
                user.email
            );
        }
        UserCommand::List => {
            let all = users::list(&mut conn).map_err(|e| e.to_string())?;
            println!("{:<40} {:<8} {:<9} created", "e-mail", "role", "state");
            for u in all {
                let state = if u.disabled { "disabled" } else { "active" };
                println!(
                    "{:<40} {:<8} {:<9} {}",
                    u.email,
                    u.role,
                    state,
                    u.created_at.format("%Y-%m-%d %H:%M")
                );
            }
        }
    }
    Ok(())
}

fn import(pool: &DbPool, config: &Config, dir: &std::path::Path) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    // PostgreSQL takes two writers (a page's full-text vector is most of its cost there).
    let postgres = matches!(*conn, galley::db::DbConnection::Postgres(_));
    let mut second = (postgres && pool.max_size() > 1)
        .then(|| pool.get())
        .transpose()
        .map_err(|e| e.to_string())?;
    for c in std::iter::once(&mut conn).chain(second.as_mut()) {
        galley::db::bulk::prepare(c).map_err(|e| e.to_string())?;
    }
    let widths = config.rendition_widths();
    let folder = galley::media::transfer::Folder {
        root: dir,
        widths: &widths,
        max_bytes: config.max_upload_bytes(),
    };
    let bar = std::cell::RefCell::new(None::<(String, Progress)>);
    let report = transfer::import_folder(
        &mut conn,
        second.as_deref_mut(),
        &folder,
        &Actor::cli(),
        galley::clock::now(),
        &|step, done, total| {
            let mut bar = bar.borrow_mut();
            if bar.as_ref().is_none_or(|(s, _)| s != step) {
                *bar = Some((step.to_owned(), Progress::bar(step, total)));
            }
            if let Some((_, b)) = bar.as_ref() {
                b.set(done);
            }
        },
    );
    drop(bar);
    galley::db::bulk::finish(&mut conn);
    let report = report?;
    println!(
        "Imported from {}: {} created, {} updated, {} unchanged, {} failed; {} file(s) added to the media library.",
        dir.display(),
        report.created,
        report.updated,
        report.unchanged,
        report.errors.len(),
        report.media_added
    );
    if report.media_added > 0 {
        let made = jobs::work(
            &mut conn,
            media_store::configured(),
            config.webp_quality,
            &|| false,
        )
        .map_err(|e| e.to_string())?;
        println!("Made {made} resized cop(ies) of the images.");
    }
    for (file, reason) in &report.errors {
        eprintln!("{}: {reason}", dir.join(file).display());
    }
    if report.errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} file(s) could not be imported",
            report.errors.len()
        ))
    }
}

fn export(pool: &DbPool, dir: &std::path::Path) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let bar = Progress::bar("Exporting pages", 0);
    let n = galley::content::export::export(&mut conn, dir, &|done, total| {
        bar.set_total(total);
        bar.set(done);
    })?;
    bar.finish();
    println!(
        "Exported {} page(s) and {} media file(s) to {}.",
        n.pages,
        n.files,
        dir.display()
    );
    Ok(())
}

fn media(pool: &DbPool, config: &Config, cmd: MediaCommand) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    match cmd {
        MediaCommand::Add {
            files,
            alt,
            title,
            caption,
            credit,
        } => {
            let mut prepared = Vec::with_capacity(files.len());
            for path in &files {
                let limit = config.max_upload_bytes();
                let size = std::fs::metadata(path)
                    .map_err(|e| format!("{}: {e}", path.display()))?
                    .len();
                if size > limit as u64 {
                    return Err(format!(
                        "{}: the file is over the upload limit ({} MB, GALLEY_MAX_UPLOAD_MB)",
                        path.display(),
                        config.max_upload_mb
                    ));
                }
                let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
                let file_name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                let file = intake::prepare(intake::Upload { file_name, bytes })
                    .map_err(|e| format!("{}: {e}", path.display()))?;
                prepared.push(file);
            }
            let details = intake::Details {
                title,
                alt,
                caption,
                credit,
                focal_x: 50,
                focal_y: 50,
            };
            let mut errors = galley::validation::FieldErrors::default();
            details.check(prepared.iter().any(|p| p.file_type.is_image()), &mut errors);
            if !errors.is_empty() {
                return Err(errors.to_string());
            }
            let widths = config.rendition_widths();
            let added = editing::add_all(
                &mut conn,
                media_store::configured(),
                &prepared,
                &details,
                &Actor::cli(),
                &widths,
            )
            .map_err(|e| e.to_string())?;
            for file in &added {
                println!("#{} {} {}", file.id, file.original_url(), file.title);
            }
            let made = jobs::work(
                &mut conn,
                media_store::configured(),
                config.webp_quality,
                &|| false,
            )
            .map_err(|e| e.to_string())?;
            println!(
                "Added {} file(s); made {made} resized cop(ies).",
                added.len()
            );
            Ok(())
        }
        MediaCommand::List => {
            for file in library::all(&mut conn).map_err(|e| e.to_string())? {
                let size = file
                    .size()
                    .map(|(w, h)| format!("{w}x{h}"))
                    .unwrap_or_else(|| "-".into());
                println!(
                    "#{}\t{}\t{}\t{}\t{}\t{}",
                    file.id,
                    file.ext,
                    file.byte_size,
                    size,
                    file.title,
                    file.original_url()
                );
            }
            Ok(())
        }
    }
}
