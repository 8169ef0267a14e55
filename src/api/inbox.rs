//! The contact inbox through the API (`submissions:read`, editors and admins): what the
//! inbox shows, oldest first, so a script reads the new ones from the last cursor it had.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::api::caller::Caller;
use crate::api::documents;
use crate::api::problem::Problem;
use crate::api::respond::{self, Order, Paging};
use crate::api::tokens::Scope;
use crate::api::write::writer;
use crate::contact::submissions::{self, Filter};
use crate::db;
use crate::state::AppState;
use crate::validation::FieldErrors;

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SubmissionParams {
    /// new, read, replied, archived or spam (all but spam unless given).
    status: Option<String>,
    /// How many to answer: 20 unless given, at most 100 (more is clamped, and `meta` says so).
    #[param(value_type = Option<u32>, minimum = 1)]
    limit: Option<String>,
    /// Where to go on: the `next_cursor` of the previous part.
    cursor: Option<String>,
}

/// `GET /api/v1/submissions`: the contact inbox (spam left out unless asked for), oldest first,
/// so a script reads new ones with the last cursor it had.
pub async fn submissions(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    web::Query(params): web::Query<SubmissionParams>,
) -> Result<HttpResponse, Problem> {
    writer(caller, Scope::SubmissionsRead, &req)?;
    let mut errors = FieldErrors::default();
    let paging = Paging::parse(
        params.limit.as_deref(),
        params.cursor.as_deref(),
        Order::ById,
        &mut errors,
    );
    let status = params.status.unwrap_or_default();
    if !status.is_empty() && !submissions::STATUSES.contains(&status.as_str()) {
        errors.add(
            "status",
            format!("Use one of {}.", submissions::STATUSES.join(", ")),
        );
    }
    if !errors.is_empty() {
        return Err(Problem::invalid(&errors));
    }
    let filter = Filter {
        status,
        q: String::new(),
    };
    let mut all = db::run(&state.pool, move |c| submissions::all_matching(c, &filter)).await?;
    all.sort_unstable_by_key(|s| s.id);
    let (part, meta) = paging.take(all, |s| s.id);
    let data: Vec<_> = part.into_iter().map(documents::submission).collect();
    respond::json_list(&req, &respond::private(&state.site.current()), data, meta)
}

/// `GET /api/v1/submissions/{id}`.
pub async fn submission_one(
    req: HttpRequest,
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<i32>,
) -> Result<HttpResponse, Problem> {
    writer(caller, Scope::SubmissionsRead, &req)?;
    let id = id.into_inner();
    let found = db::run(&state.pool, move |c| submissions::find(c, id)).await?;
    respond::json(
        &respond::private(&state.site.current()),
        &documents::submission(found),
    )
}
