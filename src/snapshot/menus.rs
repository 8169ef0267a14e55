//! The header and footer menus as stored: items in order, each a page (by id, so it follows the
//! page's moves and hides with it), a hub (shown with its children) or a URL.

use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::menu_items;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Page,
    Hub,
    Url,
}

impl Kind {
    pub const ALL: [Kind; 3] = [Kind::Page, Kind::Hub, Kind::Url];

    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Page => "page",
            Kind::Hub => "hub",
            Kind::Url => "url",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

pub const MENUS: [&str; 2] = ["header", "footer"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MenuItem {
    pub id: i32,
    pub menu: String,
    pub kind: Kind,
    pub page_id: Option<i32>,
    pub url: String,
    pub label: String,
    pub position: i32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Menus {
    pub header: Vec<MenuItem>,
    pub footer: Vec<MenuItem>,
}

type Row = (i32, String, String, Option<i32>, String, String, i32);

impl Menus {
    pub fn load(conn: &mut DbConnection) -> QueryResult<Menus> {
        let rows: Vec<Row> = menu_items::table
            .order((menu_items::menu, menu_items::position, menu_items::id))
            .select((
                menu_items::id,
                menu_items::menu,
                menu_items::kind,
                menu_items::page_id,
                menu_items::url,
                menu_items::label,
                menu_items::position,
            ))
            .load(conn)?;
        let mut menus = Menus::default();
        for (id, menu, kind, page_id, url, label, position) in rows {
            let Some(kind) = Kind::parse(&kind) else {
                continue;
            };
            let item = MenuItem {
                id,
                menu: menu.clone(),
                kind,
                page_id,
                url,
                label,
                position,
            };
            match menu.as_str() {
                "header" => menus.header.push(item),
                _ => menus.footer.push(item),
            }
        }
        Ok(menus)
    }
}
