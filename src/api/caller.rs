//! Who is calling the API: a visitor (no token: what visitors see), or a token and its owner.
//! Every request is counted against its address's rate limit first; a token that cannot be
//! used (unknown, revoked, expired, its owner disabled) is a 401, never a visitor's answer.

use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::accounts::users::{Role, User};
use crate::api::problem::Problem;
use crate::api::tokens::{self, ApiToken, Scope};
use crate::db;
use crate::state::AppState;
use crate::web::client::client_ip;

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
                token.has(scope)
                    && match scope {
                        Scope::PagesRead | Scope::MediaWrite => true,
                        Scope::PagesWrite | Scope::SubmissionsRead => user.role() != Role::Author,
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
            let unix = crate::clock::now().and_utc().timestamp().max(0) as u64;
            if let Err(wait) = state.api_limiter.check(&client_ip(&req), unix) {
                return Err(Problem::rate_limited(wait));
            }
            let Some(value) = req.headers().get(header::AUTHORIZATION) else {
                return Ok(Caller::Visitor);
            };
            let secret = value
                .to_str()
                .ok()
                .and_then(|v| {
                    v.strip_prefix("Bearer ")
                        .or_else(|| v.strip_prefix("bearer "))
                })
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
