//! The `Staff`, `Editor` and `Admin` extractors: a handler that takes one cannot run without a
//! signed-in, enabled user of that role (or a higher one). Authors get `Staff` handlers only, so a
//! screen is closed to them unless it was opened on purpose.

use actix_session::{Session, SessionExt};
use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::accounts::session_store::{UNAVAILABLE, USER_ID};
use crate::accounts::users::{self, Role, User};
use crate::audit::Actor;
use crate::db;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::client::client_ip;
use crate::web::ctx::{Ctx, UserInfo, flash};

/// A signed-in, enabled user of any role: author, editor or admin.
pub struct Staff {
    pub user: User,
    pub ctx: Ctx,
    pub session: Session,
    pub ip: String,
}

/// A signed-in editor or admin (authors are refused: 403).
pub struct Editor(pub Staff);

/// A signed-in admin.
pub struct Admin(pub Staff);

impl Staff {
    pub fn role(&self) -> Role {
        self.user.role()
    }

    /// Editors and admins: they publish, review and run the site's content.
    pub fn is_editor(&self) -> bool {
        self.role() != Role::Author
    }

    pub fn actor(&self) -> Actor {
        Actor {
            user_id: Some(self.user.id),
            name: self.user.email.clone(),
            ip: self.ip.clone(),
        }
    }
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

impl FromRequest for Staff {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let session = req.get_session();
            if session.contains_key(UNAVAILABLE) {
                return Err(AppError::Unavailable(
                    "the session could not be loaded".into(),
                ));
            }
            let Some(uid) = session.get::<i32>(USER_ID).ok().flatten() else {
                return Err(login_required(&req));
            };
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::Internal("no app state".into()))?;
            let (user, in_review) = db::run(&state.pool, move |c| {
                let user = users::find(c, uid)?;
                let in_review = match &user {
                    Some(u) if u.role() != Role::Author => review_queue_length(c)?,
                    _ => 0,
                };
                Ok::<_, diesel::result::Error>((user, in_review))
            })
            .await?;
            let Some(user) = user.filter(|u| !u.disabled) else {
                session.purge();
                return Err(login_required(&req));
            };
            // Under the site's two-factor policy, nothing but setting it up until it is set up.
            if must_set_up_two_factor(state, &user) && !req.path().starts_with(TWO_FACTOR_SETUP) {
                flash(
                    &session,
                    "error",
                    "This site requires two-factor sign-in. Set it up to go on.",
                );
                return Err(AppError::SeeOther(TWO_FACTOR_SETUP.into()));
            }
            let info = UserInfo {
                id: user.id,
                email: user.email.clone(),
                is_admin: user.role() == Role::Admin,
                is_editor: user.role() != Role::Author,
                in_review,
            };
            let ctx = Ctx::for_session(&req, &session, Some(info));
            Ok(Staff {
                user,
                ctx,
                session,
                ip: client_ip(&req),
            })
        })
    }
}

impl FromRequest for Editor {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = Staff::from_request(req, payload);
        Box::pin(async move {
            let staff = staff.await?;
            if staff.is_editor() {
                Ok(Editor(staff))
            } else {
                Err(AppError::Forbidden)
            }
        })
    }
}

impl FromRequest for Admin {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let staff = Staff::from_request(req, payload);
        Box::pin(async move {
            let staff = staff.await?;
            if staff.role() == Role::Admin {
                Ok(Admin(staff))
            } else {
                Err(AppError::Forbidden)
            }
        })
    }
}

/// The review queue's length, for the navigation of those who review. Read here, from the table
/// (content, which owns reviews, sits beside accounts and uses these extractors), on an index.
fn review_queue_length(conn: &mut db::DbConnection) -> diesel::QueryResult<i64> {
    use crate::db::schema::{page_review_states, pages};
    use diesel::prelude::*;
    page_review_states::table
        .inner_join(pages::table)
        .filter(page_review_states::state.eq("in_review"))
        .filter(pages::trash_id.is_null())
        .count()
        .get_result(conn)
}

/// Where two-factor sign-in is set up (and everything under it: the recovery codes).
const TWO_FACTOR_SETUP: &str = "/admin/account/2fa";

/// Whether the site's policy requires a second factor of `user`.
pub fn two_factor_required(state: &AppState, user: &User) -> bool {
    let settings = &state.site.current().settings;
    match user.role() {
        Role::Admin => settings.require_2fa_admins,
        Role::Editor | Role::Author => settings.require_2fa_editors,
    }
}

fn must_set_up_two_factor(state: &AppState, user: &User) -> bool {
    user.totp_secret.is_none() && two_factor_required(state, user)
}
