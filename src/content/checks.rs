//! What a page must be to be saved (its fields within limits, its parent able to hold it, its
//! address free), and the path it gets.

use diesel::prelude::*;

use crate::content::derived::Derived;
use crate::content::pages::{MAX_BODY, MAX_SUMMARY, MAX_TITLE, PageInput, Status, path_taken};
use crate::content::saving::{SaveError, join_path};
use crate::db::DbConnection;
use crate::db::schema::pages;
use crate::slug;
use crate::validation::FieldErrors;

/// Checks the input and works out the page's path. `id` is the page being edited, if any.
pub(super) fn validate(
    conn: &mut DbConnection,
    input: &PageInput,
    id: Option<i32>,
    derived: &Derived,
) -> Result<String, SaveError> {
    let mut errors = FieldErrors::default();
    derived.check_media(input.image_id, &mut errors);
    let title = input.title.trim();
    if errors.check_text("title", title) {
    } else if title.is_empty() {
        errors.add("title", "Give the page a title.");
    } else if title.chars().count() > MAX_TITLE {
        errors.add(
            "title",
            format!("Keep the title under {MAX_TITLE} characters."),
        );
    }
    errors.check_text("seo_title", input.seo_title.as_deref().unwrap_or(""));
    if errors.check_text("summary", &input.summary) {
    } else if input.summary.chars().count() > MAX_SUMMARY {
        errors.add(
            "summary",
            format!("Keep the summary under {MAX_SUMMARY} characters."),
        );
    }
    if errors.check_text("body", &input.body_md) {
    } else if input.body_md.len() > MAX_BODY {
        errors.add(
            "body",
            format!("The text is too long (at most {MAX_BODY} bytes)."),
        );
    }
    let home = input.slug.is_empty() && input.parent_id.is_none();
    if !home && !slug::is_valid(&input.slug) {
        errors.add(
            "slug",
            "Use lowercase letters, digits and single hyphens (for example: getting-started).",
        );
    }
    if input.status == Status::Scheduled && input.publish_at.is_none() {
        errors.add("publish_at", "Choose when the page should be published.");
    }
    let parent_path = match input.parent_id {
        None => None,
        Some(pid) => match pages::table
            .find(pid)
            .select(pages::path)
            .get_result::<String>(conn)
            .optional()?
        {
            None => {
                errors.add("parent_id", "The chosen parent page does not exist.");
                None
            }
            Some(p) if p.is_empty() => {
                errors.add("parent_id", "The home page cannot have child pages.");
                None
            }
            Some(p) if p.starts_with(crate::content::pages::TRASH_PREFIX) => {
                errors.add("parent_id", "The chosen parent page is in the trash.");
                None
            }
            Some(p) => {
                let own = id
                    .map(|i| {
                        pages::table
                            .find(i)
                            .select(pages::path)
                            .first::<String>(conn)
                    })
                    .transpose()?;
                if let Some(own) =
                    own.filter(|o| Some(pid) == id || p == *o || p.starts_with(&format!("{o}/")))
                {
                    errors.add(
                        "parent_id",
                        format!("A page cannot be placed under itself (/{own})."),
                    );
                }
                Some(p)
            }
        },
    };
    let path = join_path(parent_path.as_deref(), &input.slug);
    if errors.get("slug").is_none()
        && errors.get("parent_id").is_none()
        && path_taken(conn, &path, id)?
    {
        errors.add(
            "slug",
            format!("Another page already uses the address /{path}."),
        );
    }
    if errors.is_empty() {
        Ok(path)
    } else {
        Err(SaveError::Invalid(errors))
    }
}
