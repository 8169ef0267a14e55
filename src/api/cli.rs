//! `galley token create|list|revoke`: API tokens for scripts (a CI job that publishes pages).

use clap::Subcommand;

use crate::accounts::users;
use crate::api::tokens::{self, NewToken, Scope};
use crate::audit::{self, Actor};
use crate::db::{self, DbPool};

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Make a token for the account EMAIL and print it (shown this once).
    Create {
        email: String,
        /// What it may do; repeat for several: pages:read, pages:write, media:write,
        /// submissions:read.
        #[arg(long = "scope", required = true)]
        scopes: Vec<String>,
        /// What uses it (for example: ci).
        #[arg(long)]
        name: String,
        /// The last day it works (YYYY-MM-DD, UTC); default: no expiry.
        #[arg(long)]
        expires: Option<String>,
    },
    /// List every token: id, owner, name, first characters, scopes, state, last use.
    List,
    /// Revoke the token ID: it stops working at once.
    Revoke { id: i32 },
}

pub fn run(pool: &DbPool, cmd: TokenCommand) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let now = crate::clock::now();
    match cmd {
        TokenCommand::Create {
            email,
            scopes,
            name,
            expires,
        } => {
            let mut parsed = Vec::new();
            for s in &scopes {
                parsed.push(Scope::parse(s).ok_or_else(|| {
                    let all: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                    format!("unknown scope {s:?}: use one of {}", all.join(", "))
                })?);
            }
            let expires_at = expires
                .map(|d| {
                    chrono::NaiveDate::parse_from_str(&d, "%Y-%m-%d")
                        .ok()
                        .and_then(|d| d.and_hms_opt(23, 59, 59))
                        .ok_or_else(|| format!("--expires {d:?}: give a date as YYYY-MM-DD"))
                })
                .transpose()?;
            let new = NewToken {
                name,
                scopes: parsed,
                expires_at,
            };
            let errors = new.check(now);
            if !errors.is_empty() {
                return Err(errors.to_string());
            }
            let user = users::find_by_email(&mut conn, &email)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no account {email}"))?;
            if user.disabled {
                return Err(format!("{email} is disabled: its tokens would not work"));
            }
            let secret = db::write(&mut conn, |c| {
                let (token, secret) = tokens::create(c, user.id, &new, now)?;
                audit::record(
                    c,
                    &Actor::cli(),
                    "token.create",
                    &format!(
                        "{} of {email} ({}; {})",
                        token.name, token.hint, token.scopes
                    ),
                    now,
                )?;
                Ok::<_, diesel::result::Error>(secret)
            })
            .map_err(|e| e.to_string())?;
            // The token alone on standard output, for `TOKEN=$(galley token create ...)`.
            eprintln!("A token for {email}; it is shown this once:");
            println!("{secret}");
        }
        TokenCommand::List => {
            let all = tokens::all(&mut conn).map_err(|e| e.to_string())?;
            for (t, owner, disabled) in all {
                println!(
                    "{:>4}  {:<28} {:<16} {}  {:<40} {:<8} last used {}",
                    t.id,
                    owner,
                    t.name,
                    t.hint,
                    t.scopes,
                    if disabled {
                        "owner disabled"
                    } else {
                        t.state(now)
                    },
                    t.last_used_at
                        .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                        .unwrap_or_else(|| "never".into())
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let token = tokens::find(&mut conn, id)
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("there is no token {id}"))?;
            let revoked = db::write(&mut conn, |c| {
                let revoked = tokens::revoke(c, id, now)?;
                if revoked {
                    audit::record(
                        c,
                        &Actor::cli(),
                        "token.revoke",
                        &format!("{} ({})", token.name, token.hint),
                        now,
                    )?;
                }
                Ok::<_, diesel::result::Error>(revoked)
            })
            .map_err(|e| e.to_string())?;
            if revoked {
                println!("Revoked token {id} ({}).", token.name);
            } else {
                println!("Token {id} ({}) was revoked already.", token.name);
            }
        }
    }
    Ok(())
}
