//! Who is asking: the `Editor` and `Admin` extractors (a handler that takes one cannot run without
//! a signed-in, enabled user of that role), the client address, and safe `next` targets.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::accounts::users::{self, Role, User};
use crate::app::AppState;
use crate::audit::Actor;
use crate::db;
use crate::error::AppError;
use crate::web::ctx::{Ctx, UserInfo};
use crate::web::session::USER_ID;

/// A signed-in user who may edit content (editors and admins).
pub struct Editor {
    pub user: User,
    pub ctx: Ctx,
    pub session: Session,
    pub ip: String,
}

/// A signed-in admin.
pub struct Admin(pub Editor);

impl Editor {
    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            name: self.user.email.clone(),
            ip: self.ip.clone(),
        }
    }
}

/// The client's address: the peer, or the proxy's `Forwarded`/`X-Forwarded-For` when
/// `GALLEY_TRUST_PROXY` says a proxy in front sets it (otherwise anyone could claim any address).
pub fn client_ip(req: &HttpRequest) -> String {
    let trust = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.trust_proxy);
    let info = req.connection_info();
    let addr = if trust {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    let addr = addr.unwrap_or("unknown");
    // Drop the port of "ip:port" (but not the colons of a bare IPv6 address).
    match addr.parse::<std::net::SocketAddr>() {
        Ok(sock) => sock.ip().to_string(),
        Err(_) => addr.trim_matches(['[', ']']).to_owned(),
    }
}

/// A local path to go to after signing in, or `None` for anything that could leave the site.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 2000;
    ok.then_some(next)
}

fn login_required(req: &HttpRequest) -> AppError {
    let next = if req.method() == actix_web::http::Method::GET {
        match req.query_string() {
            "" => req.path().to_owned(),
            q => format!("{}?{q}", req.path()),
        }
    } else {
        "/admin".to_owned()
    };
    AppError::LoginRequired(next)
}

impl FromRequest for Editor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            let Some(uid) = session.get::<i32>(USER_ID).ok().flatten() else {
                return Err(login_required(&req));
            };
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal("no app state".into()))?;
            let (user, inbox_new) = db::run(&state.pool, move |c| {
                Ok::<_, AppError>((
                    users::find(c, uid)?,
                    crate::contact::submissions::count_new(c)?,
                ))
            })
            .await?;
            let Some(user) = user.filter(|u| !u.disabled) else {
                session.purge();
                return Err(login_required(&req));
            };
            let info = UserInfo {
                id: user.id,
                email: user.email.clone(),
                is_admin: user.role() == Role::Admin,
            };
            let ctx = Ctx {
                inbox_new,
                ..Ctx::for_session(&req, &session, Some(info))
            };
            Ok(Editor {
                user,
                ctx,
                session,
                ip: client_ip(&req),
            })
        })
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let editor = Editor::from_request(req, payload);
        Box::pin(async move {
            let editor = editor.await?;
            if editor.user.role() == Role::Admin {
                Ok(Admin(editor))
            } else {
                Err(AppError::Forbidden)
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next("/admin/pages?status=draft"),
            Some("/admin/pages?status=draft")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/\n/x",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
