//! Bulk work on the pages list: publish, unpublish, move under a hub, set the navigation order,
//! or move to the trash, for many pages in one transaction. Each page goes through the same
//! save (revision, redirects, audit entry) as the editor, in its own savepoint, so one refusal
//! leaves the others done; the report says what was done and what was refused, and why.

use diesel::QueryResult;

use crate::audit::Actor;
use crate::content::editing;
use crate::content::pages::{self, PageInput, Status};
use crate::content::saving::SaveError;
use crate::content::trash;
use crate::db::DbConnection;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Publish,
    Unpublish,
    /// Under this hub (`None`: the top level).
    Move(Option<i32>),
    Order(i32),
    Trash,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Report {
    /// Titles of the pages done.
    pub done: Vec<String>,
    /// Title and reason of each page refused.
    pub refused: Vec<(String, String)>,
}

fn input_for(action: Action, current: PageInput) -> PageInput {
    match action {
        Action::Publish => PageInput {
            status: Status::Published,
            publish_at: None,
            // A page published now stays: an unpublish time already passed would hide it again.
            unpublish_at: current.unpublish_at.filter(|t| *t > crate::clock::now()),
            ..current
        },
        Action::Unpublish => PageInput {
            status: Status::Draft,
            ..current
        },
        Action::Move(parent_id) => PageInput {
            parent_id,
            ..current
        },
        Action::Order(nav_order) => PageInput {
            nav_order,
            ..current
        },
        Action::Trash => current,
    }
}

pub fn apply(
    conn: &mut DbConnection,
    ids: &[i32],
    action: Action,
    actor: &Actor,
) -> QueryResult<Report> {
    crate::db::write(conn, |c| {
        let mut report = Report::default();
        for &id in ids {
            let Ok(page) = pages::find(c, id) else {
                report
                    .refused
                    .push((format!("#{id}"), "no such page".into()));
                continue;
            };
            let title = page.title.clone();
            // In the trash: a stale list, or a page gone with the hub trashed a moment ago.
            if page.in_trash() {
                report
                    .refused
                    .push((title, "already in the trash with its hub".into()));
                continue;
            }
            if action == Action::Trash {
                trash::trash_page(c, id, None, actor)?;
                report.done.push(title);
                continue;
            }
            let input = input_for(action, page.to_input());
            let note = "Bulk change";
            match editing::save(c, Some(id), &input, None, actor, note) {
                Ok(_) => report.done.push(title),
                Err(SaveError::Invalid(errors)) => report.refused.push((title, errors.to_string())),
                Err(SaveError::Conflict { .. }) => report
                    .refused
                    .push((title, "changed by someone else".into())),
                Err(SaveError::Database(e)) => return Err(e),
            }
        }
        Ok(report)
    })
}
