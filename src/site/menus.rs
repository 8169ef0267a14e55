//! Changes to the header and footer menus, each with its audit entry in one transaction. The
//! header menu follows the pages marked "in the main navigation" until its first change, which
//! turns those pages into items first, so the site looks the same until an editor changes it.

use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::db::schema::{menu_items, pages};
use crate::snapshot::appearance::HEADER_MENU_EDITED;
use crate::snapshot::menus::Kind;
use crate::snapshot::settings;
use crate::snapshot::version::bump_content_version;
use crate::validation::FieldErrors;

pub const MAX_LABEL: usize = 80;

/// An item as an editor describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewItem {
    pub menu: &'static str,
    pub kind: Kind,
    pub page_id: Option<i32>,
    pub url: String,
    pub label: String,
}

/// Checks the add form's fields (`menu`, `kind`, `page_id`, `url`, `label`).
pub fn check(
    conn: &mut DbConnection,
    menu: &str,
    kind: &str,
    page_id: &str,
    url: &str,
    label: &str,
) -> QueryResult<Result<NewItem, FieldErrors>> {
    let mut errors = FieldErrors::default();
    let menu = match menu {
        "header" => "header",
        "footer" => "footer",
        _ => {
            errors.add("menu", "Choose the header or the footer menu.");
            "header"
        }
    };
    let kind = Kind::parse(kind).unwrap_or_else(|| {
        errors.add("kind", "Choose a page, a hub or a URL.");
        Kind::Page
    });
    let label = label.trim().to_owned();
    if errors.check_text("label", &label) {
    } else if label.chars().count() > MAX_LABEL {
        errors.add(
            "label",
            format!("Keep the label under {MAX_LABEL} characters."),
        );
    }
    let url = url.trim().to_owned();
    let mut page = None;
    match kind {
        Kind::Page | Kind::Hub => match page_id.trim().parse::<i32>() {
            Ok(id) => {
                let found: Option<i32> = pages::table
                    .find(id)
                    .select(pages::id)
                    .get_result(conn)
                    .optional()?;
                match found {
                    Some(id) => page = Some(id),
                    None => errors.add("page_id", "That page does not exist."),
                }
            }
            Err(_) => errors.add("page_id", "Choose a page from the list."),
        },
        Kind::Url => {
            // No backslash: browsers read `/\host` as `//host`.
            let ok = (url.starts_with("https://")
                || url.starts_with("http://")
                || url.starts_with("mailto:")
                || (url.starts_with('/') && !url.starts_with("//")))
                && !url.contains(char::is_whitespace)
                && !url.contains('\\');
            if errors.check_text("url", &url) {
            } else if !ok || url.len() > 2000 {
                errors.add(
                    "url",
                    "Enter a full address (https://example.com/...) or a path on this site (/contact).",
                );
            }
            if label.is_empty() && !errors.has("label") {
                errors.add("label", "Give the link a label.");
            }
        }
    }
    Ok(if errors.is_empty() {
        Ok(NewItem {
            menu,
            kind,
            page_id: page,
            url: if kind == Kind::Url {
                url
            } else {
                String::new()
            },
            label,
        })
    } else {
        Err(errors)
    })
}

fn next_position(conn: &mut DbConnection, menu: &str) -> QueryResult<i32> {
    let max: Option<i32> = menu_items::table
        .filter(menu_items::menu.eq(menu))
        .select(diesel::dsl::max(menu_items::position))
        .first(conn)?;
    Ok(max.map_or(0, |m| m + 1))
}

/// The first change to the header menu: today's in-navigation pages become its items.
fn take_over_header(conn: &mut DbConnection) -> QueryResult<()> {
    // Two editors' first changes at once must not both copy the pages.
    crate::db::lock_key(conn, "menu.header")?;
    if settings::get(conn, HEADER_MENU_EDITED)?.as_deref() == Some("true") {
        return Ok(());
    }
    let mut nav: Vec<(i32, i32, String)> = pages::table
        .filter(pages::in_nav.eq(true))
        .filter(pages::parent_id.is_null())
        .filter(pages::path.ne(""))
        .select((pages::id, pages::nav_order, pages::title))
        .load(conn)?;
    nav.sort_by_key(|(id, order, title)| (*order, title.to_lowercase(), *id));
    for (position, (id, _, _)) in nav.into_iter().enumerate() {
        diesel::insert_into(menu_items::table)
            .values((
                menu_items::menu.eq("header"),
                menu_items::kind.eq(Kind::Page.as_str()),
                menu_items::page_id.eq(id),
                menu_items::url.eq(""),
                menu_items::label.eq(""),
                menu_items::position.eq(position as i32),
            ))
            .execute(conn)?;
    }
    settings::set(conn, HEADER_MENU_EDITED, "true")
}

/// Turns the in-navigation pages into header items, so they can be moved and removed.
pub fn take_over(conn: &mut DbConnection, actor: &Actor) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        take_over_header(conn)?;
        bump_content_version(conn)?;
        audit::record(conn, actor, "menu.take_over", "header", crate::clock::now())
    })
}

pub fn add(conn: &mut DbConnection, item: &NewItem, actor: &Actor) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        if item.menu == "header" {
            take_over_header(conn)?;
        }
        let position = next_position(conn, item.menu)?;
        diesel::insert_into(menu_items::table)
            .values((
                menu_items::menu.eq(item.menu),
                menu_items::kind.eq(item.kind.as_str()),
                menu_items::page_id.eq(item.page_id),
                menu_items::url.eq(&item.url),
                menu_items::label.eq(&item.label),
                menu_items::position.eq(position),
            ))
            .execute(conn)?;
        bump_content_version(conn)?;
        let target = match item.kind {
            Kind::Url => item.url.clone(),
            _ => format!("page #{}", item.page_id.unwrap_or_default()),
        };
        audit::record(
            conn,
            actor,
            "menu.add",
            &format!("{} {} {target}", item.menu, item.kind.as_str()),
            crate::clock::now(),
        )
    })
}

/// Where an item moves: a place up or down, or to a place (0-based; past the end is the end).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Move {
    Up,
    Down,
    To(usize),
}

/// Moves an item within its menu; `false` when there is no item.
pub fn move_item(conn: &mut DbConnection, id: i32, to: Move, actor: &Actor) -> QueryResult<bool> {
    crate::db::write(conn, |conn| {
        let Some(menu) = menu_items::table
            .find(id)
            .select(menu_items::menu)
            .get_result::<String>(conn)
            .optional()?
        else {
            return Ok(false);
        };
        let mut order: Vec<i32> = menu_items::table
            .filter(menu_items::menu.eq(&menu))
            .order((menu_items::position, menu_items::id))
            .select(menu_items::id)
            .load(conn)?;
        let Some(at) = order.iter().position(|i| *i == id) else {
            return Ok(false);
        };
        let last = order.len() - 1;
        let to = match to {
            Move::Up => at.saturating_sub(1),
            Move::Down => (at + 1).min(last),
            Move::To(place) => place.min(last),
        };
        let moved = order.remove(at);
        order.insert(to, moved);
        for (position, item) in order.iter().enumerate() {
            diesel::update(menu_items::table.find(item))
                .set(menu_items::position.eq(position as i32))
                .execute(conn)?;
        }
        bump_content_version(conn)?;
        audit::record(
            conn,
            actor,
            "menu.move",
            &format!("{menu} item #{id} to place {}", to + 1),
            crate::clock::now(),
        )?;
        Ok(true)
    })
}

pub fn remove(conn: &mut DbConnection, id: i32, actor: &Actor) -> QueryResult<bool> {
    crate::db::write(conn, |conn| {
        let removed = diesel::delete(menu_items::table.find(id)).execute(conn)?;
        if removed == 0 {
            return Ok(false);
        }
        bump_content_version(conn)?;
        audit::record(
            conn,
            actor,
            "menu.remove",
            &format!("item #{id}"),
            crate::clock::now(),
        )?;
        Ok(true)
    })
}
