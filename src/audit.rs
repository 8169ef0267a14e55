//! The audit log: who did what, when, and from where. Written in the same transaction as the
//! change it records.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::audit_log;
use crate::pagination::{PageNumber, Pagination};

/// Who acts: a signed-in user, a visitor attempting to sign in, or the command line.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<i32>,
    pub name: String,
    pub ip: String,
}

impl Actor {
    /// Galley's own first start (the first admin, the demo site).
    pub fn first_start() -> Actor {
        Actor {
            user_id: None,
            name: "first start".into(),
            ip: String::new(),
        }
    }

    pub fn cli() -> Actor {
        Actor {
            user_id: None,
            name: "command line".into(),
            ip: String::new(),
        }
    }
}

#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i32,
    pub at: NaiveDateTime,
    pub user_id: Option<i32>,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub ip: String,
}

pub fn record(
    conn: &mut DbConnection,
    actor: &Actor,
    action: &str,
    target: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let row = (
        audit_log::at.eq(now),
        audit_log::user_id.eq(actor.user_id),
        audit_log::actor.eq(&actor.name),
        audit_log::action.eq(action),
        audit_log::target.eq(target.chars().take(500).collect::<String>()),
        audit_log::ip.eq(&actor.ip),
    );
    // On the concrete connection, whose statement cache finds the statement by its type.
    crate::with_backend!(conn, |c| diesel::insert_into(audit_log::table)
        .values(row)
        .execute(c))
    .map(drop)
}

/// A page of entries, newest first, and where that page is.
pub fn page(
    conn: &mut DbConnection,
    asked: PageNumber,
    per_page: usize,
) -> QueryResult<(Vec<Entry>, Pagination)> {
    let total: i64 = audit_log::table.count().get_result(conn)?;
    let pagination = Pagination::new(asked, usize::try_from(total).unwrap_or(0), per_page);
    let (offset, limit) = pagination.window();
    let entries = audit_log::table
        .order(audit_log::id.desc())
        .offset(offset)
        .limit(limit)
        .select(Entry::as_select())
        .load(conn)?;
    Ok((entries, pagination))
}
