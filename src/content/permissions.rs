//! Who may do what to a page. Editors and admins do everything; an author writes pages and
//! edits the ones they created while those are drafts (in review or not), and publishes,
//! schedules, moves or deletes nothing. Handlers ask here before they call the domain, and
//! answer 403 when the answer is no.

use crate::accounts::users::{Role, User};
use crate::content::pages::{Page, PageInput, Status};
use crate::error::AppError;

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
