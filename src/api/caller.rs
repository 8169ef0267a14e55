//! Who is calling the API: a visitor (no token: what visitors see), or a token and its owner.
//! A token that cannot be used (unknown, revoked, expired, its owner disabled) is a 401, never
//! a visitor's answer. (The rate limit is the API's edge: `respond::edge`.)

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::accounts::users::{Role, User};
use crate::api::problem::Problem;
use crate::api::tokens::{self, ApiToken, Scope};
use crate::db;
use crate::state::AppState;

pub enum Caller {
    Visitor,
    Token {
        token: Box<ApiToken>,
        user: Box<User>,
    },
}

impl Caller {
    /// Whether it may read drafts and scheduled pages: a token with `pages:read`.
    pub fn reads_drafts(&self) -> bool {
        self.may(Scope::PagesRead)
    }

    /// Whether the token has `scope` and its owner's role allows what the scope grants (an
    /// author's token writes no published pages; `submissions:read` needs an editor).
    pub fn may(&self, scope: Scope) -> bool {
        match self {
            Caller::Visitor => false,
            Caller::Token { token, user } => {
                // Authors keep to their own drafts in the back office: their tokens read and
                // write what visitors see, no more.
                token.has(scope)
                    && match scope {
                        Scope::MediaWrite => true,
                        Scope::PagesRead | Scope::PagesWrite | Scope::SubmissionsRead => {
                            user.role() != Role::Author
                        }
                    }
            }
        }
    }

    /// A key for caches and validators: what this caller may see differs by token.
    pub fn view_key(&self) -> String {
        match self {
            Caller::Visitor => "public".into(),
            Caller::Token { token, .. } if self.reads_drafts() => format!("token-{}", token.id),
            Caller::Token { .. } => "public".into(),
        }
    }
}

impl FromRequest for Caller {
    type Error = Problem;
    type Future = LocalBoxFuture<'static, Result<Self, Problem>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let state = req
                .app_data::<web::Data<AppState>>()
                .cloned()
                .ok_or_else(Problem::internal)?;
            let Some(value) = req.headers().get(header::AUTHORIZATION) else {
                return Ok(Caller::Visitor);
            };
            let secret = value
                .to_str()
                .ok()
                .and_then(|v| v.split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .map(|(_, token)| token)
                .map(|s| s.trim().to_owned())
                .ok_or_else(Problem::unauthorized)?;
            let now = crate::clock::now();
            let found = db::run(&state.pool, move |c| tokens::authenticate(c, &secret, now))
                .await
                .map_err(Problem::from)?;
            match found {
                Some((token, user)) => Ok(Caller::Token {
                    token: Box::new(token),
                    user: Box::new(user),
                }),
                None => Err(Problem::unauthorized()),
            }
        })
    }
}
