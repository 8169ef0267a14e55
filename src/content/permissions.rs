//! Who may do what to a page. Editors and admins do everything; an author writes pages and
//! edits the ones they created while those are drafts (in review or not), and publishes,
//! schedules, moves or deletes nothing. Handlers ask here before they call the domain, and
//! answer 403 when the answer is no.

use diesel::prelude::*;

use crate::accounts::users::{Role, User};
use crate::content::pages::{Page, PageInput, Status};
use crate::content::redirects;
use crate::db::DbConnection;
use crate::db::schema::pages as pages_table;
use crate::error::AppError;
use crate::validation::FieldErrors;

/// Whether `user` may open `page` in the editor and save it.
pub fn may_edit(user: &User, page: &Page) -> bool {
    match user.role() {
        Role::Author => {
            page.owner_id == Some(user.id) && page.status() == Status::Draft && !page.in_trash()
        }
        // A page in the trash: the domain says why it cannot change (restore it first).
        Role::Admin | Role::Editor => true,
    }
}

/// Whether `user` may read `page`'s history (its revisions and review): an author, their own.
pub fn check_view(user: &User, page: &Page) -> Result<(), AppError> {
    match user.role() {
        Role::Author if page.owner_id != Some(user.id) => Err(AppError::Forbidden),
        _ => Ok(()),
    }
}

/// `may_edit`, as the answer a handler gives.
pub fn check_edit(user: &User, page: &Page) -> Result<(), AppError> {
    if may_edit(user, page) {
        Ok(())
    } else if page.in_trash() {
        Err(AppError::NotFound)
    } else {
        Err(AppError::Forbidden)
    }
}

/// Whether `user` may save `input`: authors keep their pages drafts, unscheduled, where they
/// put them when they wrote them (`before` is the page as stored, `None` for a new page).
pub fn check_save(user: &User, before: Option<&Page>, input: &PageInput) -> Result<(), AppError> {
    if user.role() != Role::Author {
        return Ok(());
    }
    if let Some(page) = before {
        check_edit(user, page)?;
    }
    let publishes = input.status != Status::Draft || input.publish_at.is_some();
    if publishes || input.unpublish_at.is_some() {
        return Err(AppError::Forbidden);
    }
    Ok(())
}

/// Where an author's save would put the page: it may not move a page that has pages under it
/// (they may be live), nor take an address a redirect holds (saving there would drop it).
pub fn check_author_address(
    conn: &mut DbConnection,
    user: &User,
    before: Option<&Page>,
    input: &PageInput,
) -> Result<(), AppError> {
    if user.role() != Role::Author {
        return Ok(());
    }
    let parent_path = match input.parent_id {
        Some(pid) => pages_table::table
            .find(pid)
            .select(pages_table::path)
            .get_result::<String>(conn)
            .optional()?,
        None => None,
    };
    let path = crate::content::saving::join_path(parent_path.as_deref(), &input.slug);
    if before.is_some_and(|b| b.path == path) {
        return Ok(());
    }
    if let Some(page) = before {
        let children: i64 = pages_table::table
            .filter(pages_table::parent_id.eq(page.id))
            .count()
            .get_result(conn)?;
        if children > 0 {
            return Err(AppError::Forbidden);
        }
    }
    if redirects::follow(conn, &path)?.is_some() {
        let mut errors = FieldErrors::default();
        errors.add(
            "slug",
            format!(
                "The address /{path} redirects to another page: choose another slug, or ask an \
                 editor to remove the redirect."
            ),
        );
        return Err(AppError::Invalid(errors));
    }
    Ok(())
}
