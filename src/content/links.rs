//! Links between pages, derived when a page is saved: the internal links of each page (for
//! backlinks and the broken-links report), each page's "Pages that link here", and its computed
//! related pages. Visibility is applied when a page is shown, from the in-memory tree.

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;
use crate::db::schema::{page_links, page_lists, pages};
use crate::search::related::Titles;

/// Computed related pages kept per page (more than shown, as some may be hidden when shown).
const RELATED_KEPT: usize = 8;

/// A page that links to another, as stored on the target: its id only, since its title and
/// address come from the site tree when the target is shown. (Rows stored before also carry a
/// path and a title, which reading skips.)
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Backlink {
    pub id: i32,
}

/// The paths a page links to now.
pub fn targets_of(conn: &mut DbConnection, page_id: i32) -> QueryResult<Vec<String>> {
    page_links::table
        .filter(page_links::from_id.eq(page_id))
        .select(page_links::to_path)
        .load(conn)
}

/// Replaces a page's outgoing links; returns every path whose backlinks may have changed.
pub fn record(conn: &mut DbConnection, page_id: i32, links: &[String]) -> QueryResult<Vec<String>> {
    let mut affected = targets_of(conn, page_id)?;
    diesel::delete(page_links::table.filter(page_links::from_id.eq(page_id))).execute(conn)?;
    affected.extend(insert(conn, page_id, links)?);
    affected.sort();
    affected.dedup();
    Ok(affected)
}

diesel::define_sql_function! {
    /// PostgreSQL's `unnest()`: an array's elements as rows.
    fn unnest(paths: diesel::sql_types::Array<diesel::sql_types::Text>) -> diesel::sql_types::Text;
}

/// Stores the links of a page that has none stored (one just created); returns the paths it
/// links to, whose backlinks change.
pub fn insert(conn: &mut DbConnection, page_id: i32, links: &[String]) -> QueryResult<Vec<String>> {
    match conn {
        _ if links.is_empty() => {}
        // One statement whatever the number of links, so PostgreSQL keeps it prepared.
        DbConnection::Postgres(pg) => {
            use diesel::sql_types::Integer;
            diesel::insert_into(page_links::table)
                .values(diesel::select((
                    page_id.into_sql::<Integer>(),
                    unnest(links),
                )))
                .into_columns((page_links::from_id, page_links::to_path))
                .execute(pg)?;
        }
        // A statement a few hundred links, not one a link.
        DbConnection::Sqlite(c) => {
            let rows: Vec<_> = links
                .iter()
                .map(|to| (page_links::from_id.eq(page_id), page_links::to_path.eq(to)))
                .collect();
            for chunk in rows.chunks(500) {
                diesel::insert_into(page_links::table)
                    .values(chunk)
                    .execute(c)?;
            }
        }
    }
    Ok(links.to_vec())
}

/// Recomputes "Pages that link here" for the pages at `paths`.
pub fn refresh_backlinks(conn: &mut DbConnection, paths: &[String]) -> QueryResult<()> {
    for path in paths {
        let Some(target) = crate::content::pages::id_by_path(conn, path)? else {
            continue;
        };
        let list: Vec<Backlink> = page_links::table
            .inner_join(pages::table)
            .filter(page_links::to_path.eq(path))
            .order(pages::title.asc())
            .select(pages::id)
            .load(conn)?
            .into_iter()
            .map(|id| Backlink { id })
            .collect();
        store(conn, target, List::Backlinks, &to_json(&list))?;
    }
    Ok(())
}

/// Computes a page's related pages (pages sharing words of its title, best first) and stores them.
pub fn refresh_related(conn: &mut DbConnection, page_id: i32, title: &str) -> QueryResult<()> {
    let ids = Titles::load(conn)?.related(page_id, title, RELATED_KEPT);
    store(conn, page_id, List::Related, &to_json(&ids))
}

fn to_json<T: Serialize>(list: &[T]) -> String {
    serde_json::to_string(list).unwrap_or_else(|_| "[]".into())
}

/// Which of a page's lists.
#[derive(Clone, Copy)]
enum List {
    Backlinks,
    Related,
}

/// Stores one of a page's lists, the other left as it is.
fn store(conn: &mut DbConnection, page_id: i32, list: List, json: &str) -> QueryResult<()> {
    let (backlinks, related) = match list {
        List::Backlinks => (json, "[]"),
        List::Related => ("[]", json),
    };
    let insert = diesel::insert_into(page_lists::table)
        .values((
            page_lists::page_id.eq(page_id),
            page_lists::backlinks_json.eq(backlinks),
            page_lists::related_json.eq(related),
        ))
        .on_conflict(page_lists::page_id)
        .do_update();
    crate::with_backend!(conn, |c| match list {
        List::Backlinks => insert.set(page_lists::backlinks_json.eq(json)).execute(c),
        List::Related => insert.set(page_lists::related_json.eq(json)).execute(c),
    })
    .map(drop)
}

/// Stores pages' lists, both: (page id, backlinks, related) each, in one statement.
fn store_all(conn: &mut DbConnection, rows: &[(i32, String, String)]) -> QueryResult<()> {
    use diesel::upsert::excluded;
    if rows.is_empty() {
        return Ok(());
    }
    let values: Vec<_> = rows
        .iter()
        .map(|(id, b, r)| {
            (
                page_lists::page_id.eq(id),
                page_lists::backlinks_json.eq(b),
                page_lists::related_json.eq(r),
            )
        })
        .collect();
    crate::with_backend!(conn, |c| diesel::insert_into(page_lists::table)
        .values(&values)
        .on_conflict(page_lists::page_id)
        .do_update()
        .set((
            page_lists::backlinks_json.eq(excluded(page_lists::backlinks_json)),
            page_lists::related_json.eq(excluded(page_lists::related_json)),
        ))
        .execute(c))
    .map(drop)
}

/// Recomputes every page's backlinks and related pages (after a renderer change re-derived the
/// links of every page, or an import deferred them): the backlinks from one read of every link,
/// and only the pages whose lists changed are written.
pub fn rebuild_derived(conn: &mut DbConnection) -> QueryResult<()> {
    rebuild_derived_with(conn, &|_, _| {})
}

/// A page as a rebuild reads it: id, title, search title, path, and its lists as stored.
type Listed = (i32, String, String, String, Option<(String, String)>);

/// `rebuild_derived`, saying how many of the pages are done after each transaction.
pub fn rebuild_derived_with(
    conn: &mut DbConnection,
    progress: &dyn Fn(u64, u64),
) -> QueryResult<()> {
    let all: Vec<Listed> = pages::table
        .left_join(page_lists::table)
        .select((
            pages::id,
            pages::title,
            pages::search_title,
            pages::path,
            (page_lists::backlinks_json, page_lists::related_json).nullable(),
        ))
        .load(conn)?;
    let titles = Titles::new(all.iter().map(|row| (row.0, row.2.as_str())));
    let mut linking: std::collections::HashMap<String, Vec<(String, i32)>> = Default::default();
    let links: Vec<(String, i32, String)> = page_links::table
        .inner_join(pages::table)
        .select((page_links::to_path, pages::id, pages::title))
        .load(conn)?;
    for (to, from_id, from_title) in links {
        linking.entry(to).or_default().push((from_title, from_id));
    }
    // In transactions of a few hundred pages: not one commit per page, nor one lock for all.
    let mut done = 0;
    for chunk in all.chunks(500) {
        done += chunk.len() as u64;
        crate::db::write(conn, |conn| {
            let mut changed = Vec::new();
            for (id, title, _, path, stored) in chunk {
                let mut from = linking.remove(path).unwrap_or_default();
                from.sort();
                let list: Vec<Backlink> = from.into_iter().map(|(_, id)| Backlink { id }).collect();
                let backlinks = to_json(&list);
                let related = to_json(&titles.related(*id, title, RELATED_KEPT));
                let (old_backlinks, old_related) = match stored {
                    Some((b, r)) => (b.as_str(), r.as_str()),
                    None => ("[]", "[]"),
                };
                if backlinks != old_backlinks || related != old_related {
                    changed.push((*id, backlinks, related));
                }
            }
            store_all(conn, &changed)?;
            // Pages show these lists: a running server's page cache must not keep the old ones.
            if !changed.is_empty() {
                crate::snapshot::version::bump_content_version(conn)?;
            }
            Ok::<_, diesel::result::Error>(())
        })?;
        progress(done, all.len() as u64);
    }
    Ok(())
}

/// Every internal link: the page it is on (id, title) and where it points. Pages in the trash
/// are not checked.
pub fn all_links(conn: &mut DbConnection) -> QueryResult<Vec<(i32, String, String)>> {
    page_links::table
        .inner_join(pages::table)
        .filter(pages::trash_id.is_null())
        .order((pages::title.asc(), page_links::to_path.asc()))
        .select((pages::id, pages::title, page_links::to_path))
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::Backlink;

    #[test]
    fn backlinks_stored_with_paths_and_titles_still_read() {
        let stored = r#"[{"id":3,"path":"a","title":"A"},{"id":5}]"#;
        let read: Vec<Backlink> = serde_json::from_str(stored).unwrap();
        assert_eq!(read, vec![Backlink { id: 3 }, Backlink { id: 5 }]);
    }
}
