//! galley's `SessionStore`: sessions live in the database, so every instance shares them and a
//! user can list and end theirs. The cookie carries only a random key (signed); the table keeps
//! its SHA-256, the state, and a few facts mirrored out of the state for listing and revoking.

use std::collections::HashMap;

use actix_session::SessionMiddleware;
use actix_session::config::{BrowserSession, CookieContentSecurity, TtlExtensionPolicy};
use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::{Key, SameSite, time};
use anyhow::anyhow;
use chrono::Duration;

use crate::accounts::sessions::{self, Facts};
use crate::clock::now;
use crate::db::{self, DbPool};
use crate::tokens;

pub const COOKIE_NAME: &str = "galley_session";

/// Session state keys.
pub const USER_ID: &str = "uid";
pub const SESSION_ID: &str = "sid";
pub const USER_AGENT: &str = "ua";
pub const CLIENT_IP: &str = "ip";
/// Between the password and the second factor: who, and since when (Unix seconds).
pub const PENDING_USER: &str = "pending_uid";
pub const PENDING_SINCE: &str = "pending_at";
/// ... and a hash of the password hash it passed (a reset in between voids it).
pub const PENDING_PROOF: &str = "pending_proof";
/// Set in a session the store could not load because the database is away for a moment: the
/// back office answers 503 (`extract`), and the state is never written back over the real one.
pub const UNAVAILABLE: &str = "db_unavailable";

type State = HashMap<String, String>;

#[derive(Clone)]
pub struct DbSessionStore {
    pool: DbPool,
}

fn facts(state: &State) -> Facts {
    let text = |k: &str| {
        state
            .get(k)
            .and_then(|v| serde_json::from_str::<String>(v).ok())
            .unwrap_or_default()
    };
    Facts {
        user_id: state
            .get(USER_ID)
            .and_then(|v| serde_json::from_str(v).ok()),
        sid: text(SESSION_ID),
        user_agent: text(USER_AGENT).chars().take(300).collect(),
        ip: text(CLIENT_IP),
    }
}

fn chrono_ttl(ttl: &time::Duration) -> Duration {
    Duration::seconds(ttl.whole_seconds())
}

/// A failure of the store, as actix-session carries it (it answers those with a 500, so the
/// database being away is handled before it gets here).
fn failure(e: crate::error::AppError) -> anyhow::Error {
    anyhow!("{e}")
}

fn unavailable_state() -> State {
    State::from([(UNAVAILABLE.to_owned(), "true".to_owned())])
}

fn key_of(token: String) -> Result<SessionKey, anyhow::Error> {
    SessionKey::try_from(token).map_err(|e| anyhow!("invalid session key: {e}"))
}

impl SessionStore for DbSessionStore {
    async fn load(&self, key: &SessionKey) -> Result<Option<State>, LoadError> {
        let key = key.as_ref().to_owned();
        let row = match db::run(&self.pool, move |c| sessions::load(c, &key, now())).await {
            Ok(row) => row,
            Err(e) if e.is_unavailable() => {
                log::warn!("session not loaded: {e}");
                return Ok(Some(unavailable_state()));
            }
            Err(e) => return Err(LoadError::Other(failure(e))),
        };
        row.map(|r| serde_json::from_str(&r.state))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: State, ttl: &time::Duration) -> Result<SessionKey, SaveError> {
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let token = tokens::random_token();
        let (key, ttl, facts) = (token.clone(), chrono_ttl(ttl), facts(&state));
        let saved = db::run(&self.pool, move |c| {
            sessions::insert(c, &key, &json, &facts, now(), ttl)
        })
        .await;
        match saved {
            Ok(()) => {}
            // A key to nothing: the next request finds no session (signed out), as it would.
            Err(e) if e.is_unavailable() => log::warn!("session not saved: {e}"),
            Err(e) => return Err(SaveError::Other(failure(e))),
        }
        key_of(token).map_err(SaveError::Other)
    }

    async fn update(
        &self,
        key: SessionKey,
        mut state: State,
        ttl: &time::Duration,
    ) -> Result<SessionKey, UpdateError> {
        if state.contains_key(UNAVAILABLE) {
            // Never write the stand-in over the session it stood in for.
            return Ok(key);
        }
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let (k, t, f) = (key.as_ref().to_owned(), chrono_ttl(ttl), facts(&state));
        let updated = match db::run(&self.pool, move |c| {
            sessions::update(c, &k, &json, &f, now(), t)
        })
        .await
        {
            Ok(updated) => updated,
            Err(e) if e.is_unavailable() => {
                log::warn!("session not updated: {e}");
                return Ok(key);
            }
            Err(e) => return Err(UpdateError::Other(failure(e))),
        };
        if updated {
            return Ok(key);
        }
        // The session was revoked or expired while this request ran: start a new one, signed
        // out, so a revoked session can never come back to life.
        state.remove(USER_ID);
        self.save(state, ttl).await.map_err(|e| match e {
            SaveError::Serialization(e) => UpdateError::Serialization(e),
            SaveError::Other(e) => UpdateError::Other(e),
        })
    }

    async fn update_ttl(
        &self,
        key: &SessionKey,
        ttl: &time::Duration,
    ) -> Result<(), anyhow::Error> {
        let (k, t) = (key.as_ref().to_owned(), chrono_ttl(ttl));
        match db::run(&self.pool, move |c| sessions::touch(c, &k, now(), t)).await {
            Err(e) if !e.is_unavailable() => Err(failure(e)),
            // Not extended this once: the session lives on.
            _ => Ok(()),
        }
    }

    async fn delete(&self, key: &SessionKey) -> Result<(), anyhow::Error> {
        let k = key.as_ref().to_owned();
        db::run(&self.pool, move |c| sessions::delete(c, &k))
            .await
            .map_err(failure)
    }
}

/// The session middleware: a browser-session cookie (HttpOnly, SameSite=Lax, Secure on https),
/// an idle limit renewed by every request, and the absolute limit enforced by the store.
pub fn middleware(pool: DbPool, key: Key, secure: bool) -> SessionMiddleware<DbSessionStore> {
    SessionMiddleware::builder(DbSessionStore { pool }, key)
        .cookie_name(COOKIE_NAME.into())
        .cookie_secure(secure)
        .cookie_http_only(true)
        .cookie_same_site(SameSite::Lax)
        .cookie_content_security(CookieContentSecurity::Signed)
        .session_lifecycle(
            BrowserSession::default()
                .state_ttl(time::Duration::seconds(
                    sessions::IDLE_LIFETIME.num_seconds(),
                ))
                .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build()
}
