//! Changes to the library, each with its audit entry in one transaction: adding uploads (with
//! their rendition jobs), replacing a file (a new version: new URLs, the pages that show it
//! marked for re-rendering), its details and focal point, and deleting it (refused while pages
//! use it).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::audit::{self, Actor};
use crate::db::DbConnection;
use crate::db::schema::{media, media_usages, pages, renditions, trash};
use crate::media::intake::{Details, Prepared, url_name};
use crate::media::jobs;
use crate::media::library::{Media, Usage, find, used_by};
use crate::media::store::BlobStore;
use crate::snapshot::version::bump_content_version;

/// What marks a page for re-rendering because a file it shows changed (its URLs carry the
/// version): a renderer version no release has, below every real one.
pub const MEDIA_CHANGED: i32 = 0;

/// Adds an upload to the library, with its rendition jobs and audit entry.
pub fn add(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    file: &Prepared,
    details: &Details,
    actor: &Actor,
    widths: &[u32],
) -> QueryResult<Media> {
    crate::db::write(conn, |conn| {
        let now = crate::clock::now();
        let original_hash = store.put(conn, &file.original, now)?;
        let blob_hash = store.put(conn, &file.served, now)?;
        let (width, height) = file
            .size
            .map_or((None, None), |(w, h)| (Some(w as i32), Some(h as i32)));
        let kind = if file.file_type.is_image() {
            "image"
        } else {
            "document"
        };
        let id: i32 = diesel::insert_into(media::table)
            .values((
                media::kind.eq(kind),
                media::mime.eq(file.file_type.mime()),
                media::ext.eq(file.file_type.ext()),
                media::title.eq(details.title.trim()),
                media::alt.eq(details.alt.trim()),
                media::caption.eq(details.caption.trim()),
                media::credit.eq(details.credit.trim()),
                media::file_name.eq(&file.file_name),
                media::name.eq(url_name(&file.file_name)),
                media::byte_size.eq(file.served.len() as i64),
                media::width.eq(width),
                media::height.eq(height),
                media::focal_x.eq(details.focal_x),
                media::focal_y.eq(details.focal_y),
                media::version.eq(1),
                media::blob_hash.eq(&blob_hash),
                media::original_hash.eq(&original_hash),
                media::uploader_id.eq(actor.user_id),
                media::created_at.eq(now),
                media::updated_at.eq(now),
            ))
            .returning(media::id)
            .get_result(conn)?;
        let added = find(conn, id)?.ok_or(diesel::result::Error::NotFound)?;
        jobs::enqueue_standard(conn, &added, widths, now)?;
        crate::events::record(conn, "media.created", crate::events::Object::Media(id), now)?;
        audit::record(
            conn,
            actor,
            "media.upload",
            &format!("#{id} {} ({})", added.file_name, file.file_type.label()),
            now,
        )?;
        Ok(added)
    })
}

/// Adds several uploads with the same details in one transaction: all of them, or none. A file
/// without a title gets one from its name.
pub fn add_all(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    files: &[Prepared],
    details: &Details,
    actor: &Actor,
    widths: &[u32],
) -> QueryResult<Vec<Media>> {
    crate::db::write(conn, |conn| {
        files
            .iter()
            .map(|file| {
                let mut details = details.clone();
                if details.title.trim().is_empty() {
                    details.title = Details::title_from(&file.file_name);
                }
                add(conn, store, file, &details, actor, widths)
            })
            .collect()
    })
}

#[derive(Debug, thiserror::Error)]
pub enum ChangeError {
    #[error("no such file")]
    NotFound,
    #[error("pages use this file")]
    InUse(Vec<Usage>),
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<ChangeError> for crate::error::AppError {
    fn from(e: ChangeError) -> Self {
        use crate::error::AppError;
        match e {
            ChangeError::NotFound => AppError::NotFound,
            ChangeError::InUse(_) => AppError::BadRequest(e.to_string()),
            ChangeError::Refused(message) => AppError::BadRequest(message),
            ChangeError::Database(e) => e.into(),
        }
    }
}

/// A new version under the same id: the URLs change (so caches never serve the old file), old
/// renditions go, new ones are queued, and the pages that show it are marked for re-rendering.
fn new_version(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    before: &Media,
    widths: &[u32],
    now: NaiveDateTime,
) -> QueryResult<Media> {
    let old_blobs: Vec<String> = renditions::table
        .filter(renditions::media_id.eq(before.id))
        .select(renditions::blob_hash)
        .load(conn)?;
    diesel::delete(renditions::table.filter(renditions::media_id.eq(before.id))).execute(conn)?;
    jobs::forget(conn, before.id)?;
    let after = find(conn, before.id)?.ok_or(diesel::result::Error::NotFound)?;
    jobs::enqueue_standard(conn, &after, widths, now)?;
    let mut unused = old_blobs;
    unused.extend([before.blob_hash.clone(), before.original_hash.clone()]);
    store.forget_unused(conn, &unused)?;
    mark_pages_stale(conn, before.id)?;
    refresh_social_image(conn, &after)?;
    bump_content_version(conn)?;
    Ok(after)
}

/// The site's default social image is kept as pages print it: when it is this file, it follows
/// the file's new version and alt text.
fn refresh_social_image(conn: &mut DbConnection, file: &Media) -> QueryResult<()> {
    use crate::media::markup;
    use crate::snapshot::settings;
    let json = |v: Option<String>| v.unwrap_or_default();
    if setting_names(conn, "social_image_id", file.id)? {
        let social = markup::social(file).and_then(|s| serde_json::to_string(&s).ok());
        settings::set(conn, "social_image", &json(social))?;
    }
    // The logo and icons too (settings of the appearance).
    if setting_names(conn, "appearance.logo_id", file.id)? {
        let logo = markup::logo(file).and_then(|l| serde_json::to_string(&l).ok());
        settings::set(conn, "appearance.logo", &json(logo))?;
    }
    if setting_names(conn, "appearance.icon_id", file.id)? {
        let icons = markup::icons(file).and_then(|i| serde_json::to_string(&i).ok());
        settings::set(conn, "appearance.icons", &json(icons))?;
    }
    Ok(())
}

/// Whether the site setting `key` names the file `id` (the social image, the logo, the icon).
fn setting_names(conn: &mut DbConnection, key: &str, id: i32) -> QueryResult<bool> {
    Ok(crate::snapshot::settings::get(conn, key)?.as_deref() == Some(id.to_string().as_str()))
}

fn mark_pages_stale(conn: &mut DbConnection, media_id: i32) -> QueryResult<()> {
    let using = media_usages::table
        .filter(media_usages::media_id.eq(media_id))
        .select(media_usages::page_id);
    diesel::update(pages::table.filter(pages::id.eq_any(using)))
        .set(pages::renderer_version.eq(MEDIA_CHANGED))
        .execute(conn)
        .map(drop)
}

/// Replaces the file of `id` with an upload of the same kind (an image with an image).
pub fn replace(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    id: i32,
    file: &Prepared,
    actor: &Actor,
    widths: &[u32],
) -> Result<Media, ChangeError> {
    crate::db::write(conn, |conn| {
        let now = crate::clock::now();
        let before = find(conn, id)?.ok_or(ChangeError::NotFound)?;
        if before.is_image() != file.file_type.is_image() {
            return Err(ChangeError::Refused(if before.is_image() {
                "Replace an image with another image.".into()
            } else {
                "Replace a document with another document.".into()
            }));
        }
        let original_hash = store.put(conn, &file.original, now)?;
        let blob_hash = store.put(conn, &file.served, now)?;
        let (width, height) = file
            .size
            .map_or((None, None), |(w, h)| (Some(w as i32), Some(h as i32)));
        diesel::update(media::table.find(id))
            .set((
                media::mime.eq(file.file_type.mime()),
                media::ext.eq(file.file_type.ext()),
                media::file_name.eq(&file.file_name),
                media::byte_size.eq(file.served.len() as i64),
                media::width.eq(width),
                media::height.eq(height),
                media::version.eq(before.version + 1),
                media::blob_hash.eq(&blob_hash),
                media::original_hash.eq(&original_hash),
                media::updated_at.eq(now),
            ))
            .execute(conn)?;
        let after = new_version(conn, store, &before, widths, now)?;
        audit::record(
            conn,
            actor,
            "media.replace",
            &format!("#{id} {} (version {})", after.file_name, after.version),
            now,
        )?;
        Ok(after)
    })
}

/// Saves a file's details. A new focal point is a new version: its crops are cut again.
pub fn update_details(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    id: i32,
    details: &Details,
    actor: &Actor,
    widths: &[u32],
) -> Result<Media, ChangeError> {
    crate::db::write(conn, |conn| {
        let now = crate::clock::now();
        let before = find(conn, id)?.ok_or(ChangeError::NotFound)?;
        let moved = (details.focal_x, details.focal_y) != (before.focal_x, before.focal_y);
        diesel::update(media::table.find(id))
            .set((
                media::title.eq(details.title.trim()),
                media::alt.eq(details.alt.trim()),
                media::caption.eq(details.caption.trim()),
                media::credit.eq(details.credit.trim()),
                media::focal_x.eq(details.focal_x),
                media::focal_y.eq(details.focal_y),
                media::version.eq(before.version + i32::from(moved)),
                media::updated_at.eq(now),
            ))
            .execute(conn)?;
        let after = if moved && before.is_image() {
            new_version(conn, store, &before, widths, now)?
        } else {
            // Pages print the alt text and caption.
            mark_pages_stale(conn, id)?;
            let after = find(conn, id)?.ok_or(ChangeError::NotFound)?;
            refresh_social_image(conn, &after)?;
            bump_content_version(conn)?;
            after
        };
        audit::record(
            conn,
            actor,
            "media.update",
            &format!("#{id} {}", after.title),
            now,
        )?;
        Ok(after)
    })
}

/// Moves a file no page uses to the trash: off the site at once (its URLs answer 404), kept until
/// restored or deleted for good.
pub fn delete(conn: &mut DbConnection, id: i32, actor: &Actor) -> Result<Media, ChangeError> {
    crate::db::write(conn, |conn| {
        let now = crate::clock::now();
        let gone = find(conn, id)?.ok_or(ChangeError::NotFound)?;
        let users = used_by(conn, id)?;
        if !users.is_empty() {
            return Err(ChangeError::InUse(users));
        }
        if setting_names(conn, "appearance.logo_id", id)?
            || setting_names(conn, "appearance.icon_id", id)?
        {
            return Err(ChangeError::Refused(
                "This is the site's logo or icon: choose another one under Appearance first."
                    .into(),
            ));
        }
        if setting_names(conn, "social_image_id", id)? {
            return Err(ChangeError::Refused(
                "This is the site's default social image: choose another one in the settings first."
                    .into(),
            ));
        }
        let trash_id: i32 = diesel::insert_into(trash::table)
            .values((
                trash::kind.eq("media"),
                trash::media_id.eq(id),
                trash::title.eq(&gone.title),
                trash::path.eq(gone.original_url().trim_start_matches('/')),
                trash::pages.eq(0),
                trash::deleted_by.eq(actor.user_id),
                trash::deleted_by_name.eq(&actor.name),
                trash::deleted_at.eq(now),
            ))
            .returning(trash::id)
            .get_result(conn)?;
        diesel::update(media::table.find(id))
            .set(media::trash_id.eq(trash_id))
            .execute(conn)?;
        bump_content_version(conn)?;
        audit::record(
            conn,
            actor,
            "media.trash",
            &format!("#{id} {}", gone.file_name),
            now,
        )?;
        Ok(gone)
    })
}

/// Puts a file from the trash back into the library (its URLs answer again).
pub fn restore(conn: &mut DbConnection, id: i32, actor: &Actor) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        diesel::update(media::table.find(id))
            .set(media::trash_id.eq(None::<i32>))
            .execute(conn)?;
        bump_content_version(conn)?;
        audit::record(
            conn,
            actor,
            "media.restore",
            &format!("#{id}"),
            crate::clock::now(),
        )
    })
}

/// Deletes a file of the trash for good, with its renditions and the blobs nothing else uses.
pub fn delete_for_good(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    id: i32,
    actor: &Actor,
) -> QueryResult<()> {
    crate::db::write(conn, |conn| {
        let Some(gone) = media::table
            .find(id)
            .select(Media::as_select())
            .get_result(conn)
            .optional()?
        else {
            return Ok(());
        };
        let mut blobs: Vec<String> = renditions::table
            .filter(renditions::media_id.eq(id))
            .select(renditions::blob_hash)
            .load(conn)?;
        blobs.extend([gone.blob_hash.clone(), gone.original_hash.clone()]);
        diesel::delete(renditions::table.filter(renditions::media_id.eq(id))).execute(conn)?;
        jobs::forget(conn, id)?;
        // Pages in the trash may still name it: they lose it.
        diesel::delete(media_usages::table.filter(media_usages::media_id.eq(id))).execute(conn)?;
        diesel::delete(media::table.find(id)).execute(conn)?;
        store.forget_unused(conn, &blobs)?;
        bump_content_version(conn)?;
        audit::record(
            conn,
            actor,
            "media.delete",
            &format!("#{id} {}", gone.file_name),
            crate::clock::now(),
        )
    })
}
