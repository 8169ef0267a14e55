//! The back-office views of content: the page list, the editor, revisions, deletion, redirects.

use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

use crate::content::pages::{Page, PageInput, Status};
use crate::content::redirects::Redirect;
use crate::content::revisions::{DiffLine, Revision, RevisionSummary};
use crate::html::SafeHtml;
use crate::slug;
use crate::validation::FieldErrors;
use crate::web::ctx::Ctx;

/// The editor's form, as typed: every field a string, so nothing is lost when it is invalid.
#[derive(Deserialize, serde::Serialize, Default, Clone, Debug)]
pub struct PageForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub slug: String,
    #[serde(default)]
    pub parent_id: String,
    #[serde(default)]
    pub summary: String,
    #[serde(default)]
    pub seo_title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub status: String,
    /// `datetime-local`, in UTC.
    #[serde(default)]
    pub publish_at: String,
    /// `datetime-local`, in UTC; empty: the page stays.
    #[serde(default)]
    pub unpublish_at: String,
    #[serde(default)]
    pub nav_order: String,
    #[serde(default)]
    pub in_nav: Option<String>,
    /// Pinned related pages: site paths, one per line.
    #[serde(default)]
    pub related: String,
    /// The featured image's media id, empty for none.
    #[serde(default)]
    pub image_id: String,
    /// The revision note.
    #[serde(default)]
    pub note: String,
    /// The page version the editor started from.
    #[serde(default)]
    pub version: String,
    /// `save`, `stage` (a draft of changes) or `preview`.
    #[serde(default)]
    pub action: String,
    /// The draft of changes the form was opened from (`stage::mark`); empty for none.
    #[serde(default)]
    pub stage: String,
}

pub const DATETIME_LOCAL: &str = "%Y-%m-%dT%H:%M";

impl PageForm {
    pub fn new_page() -> PageForm {
        PageForm {
            status: Status::Draft.as_str().into(),
            nav_order: "0".into(),
            ..PageForm::default()
        }
    }

    pub fn from_page(p: &Page) -> PageForm {
        PageForm {
            title: p.title.clone(),
            slug: p.slug.clone(),
            parent_id: p.parent_id.map(|i| i.to_string()).unwrap_or_default(),
            summary: p.summary.clone(),
            seo_title: p.seo_title.clone().unwrap_or_default(),
            body: p.body_md.clone(),
            status: p.status.clone(),
            publish_at: p
                .publish_at
                .map(|t| t.format(DATETIME_LOCAL).to_string())
                .unwrap_or_default(),
            unpublish_at: p
                .unpublish_at
                .map(|t| t.format(DATETIME_LOCAL).to_string())
                .unwrap_or_default(),
            nav_order: p.nav_order.to_string(),
            in_nav: p.in_nav.then(|| "on".into()),
            related: p.pinned_urls().collect::<Vec<_>>().join("\n"),
            image_id: p.image_id.map(|i| i.to_string()).unwrap_or_default(),
            note: String::new(),
            version: p.version.to_string(),
            action: String::new(),
            stage: String::new(),
        }
    }

    /// The page this form describes, or what to fix. `is_home` keeps the home page's empty slug.
    pub fn to_input(&self, is_home: bool) -> Result<PageInput, FieldErrors> {
        let mut errors = FieldErrors::default();
        let parent_id = match self.parent_id.trim() {
            "" => None,
            s => match s.parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add("parent_id", "Choose a parent page from the list.");
                    None
                }
            },
        };
        let status = Status::parse(&self.status).unwrap_or_else(|| {
            errors.add("status", "Choose draft, published or scheduled.");
            Status::Draft
        });
        let publish_at = match self.publish_at.trim() {
            "" => None,
            s => match chrono::NaiveDateTime::parse_from_str(s, DATETIME_LOCAL)
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
            {
                Ok(t) => Some(t),
                Err(_) => {
                    errors.add("publish_at", "Enter a date and time like 2026-12-01T09:00.");
                    None
                }
            },
        };
        let unpublish_at = match self.unpublish_at.trim() {
            "" => None,
            s => match chrono::NaiveDateTime::parse_from_str(s, DATETIME_LOCAL)
                .or_else(|_| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M:%S"))
            {
                Ok(t) if publish_at.is_some_and(|p| t <= p) => {
                    errors.add("unpublish_at", "Choose a time after the publication time.");
                    None
                }
                Ok(t) => Some(t),
                Err(_) => {
                    errors.add(
                        "unpublish_at",
                        "Enter a date and time like 2026-12-31T23:00.",
                    );
                    None
                }
            },
        };
        let nav_order = match self.nav_order.trim() {
            "" => 0,
            s => s.parse().unwrap_or_else(|_| {
                errors.add("nav_order", "Enter a whole number.");
                0
            }),
        };
        let slug = match self.slug.trim() {
            "" if is_home => String::new(),
            "" => slug::slugify(&self.title),
            s => s.to_owned(),
        };
        let image_id = match self.image_id.trim() {
            "" => None,
            s => match s.trim_start_matches('#').parse() {
                Ok(id) => Some(id),
                Err(_) => {
                    errors.add(
                        "image_id",
                        "Choose an image from the list (or enter its number).",
                    );
                    None
                }
            },
        };
        errors.check_text("related", &self.related);
        errors.check_text("note", &self.note);
        let input = PageInput {
            parent_id,
            slug,
            title: self.title.clone(),
            summary: self.summary.clone(),
            seo_title: Some(self.seo_title.clone()),
            body_md: self.body.replace("\r\n", "\n"),
            status,
            publish_at,
            nav_order,
            in_nav: self.in_nav.is_some(),
            related_pins: self.related.clone(),
            image_id,
            unpublish_at,
        };
        if errors.is_empty() {
            Ok(input)
        } else {
            Err(errors)
        }
    }

    pub fn expected_version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

pub struct ParentOption {
    pub id: i32,
    pub label: String,
}

/// Someone else saved the page while this editor was typing.
pub struct Conflict {
    pub version: i32,
    pub revision_url: String,
}

#[derive(Template)]
#[template(path = "admin/pages/edit.html")]
pub struct PageEdit {
    pub ctx: Ctx,
    /// `None` for a new page.
    pub page_id: Option<i32>,
    pub public_url: Option<String>,
    pub is_home: bool,
    pub form: PageForm,
    pub errors: FieldErrors,
    pub parents: Vec<ParentOption>,
    pub preview: Option<SafeHtml>,
    pub conflict: Option<Conflict>,
    /// Recent images, for the featured image and "Insert an image".
    pub images: Vec<ImageChoice>,
    /// Unsaved changes this user's browser autosaved, newer than the page.
    pub restorable: Option<Restorable>,
    /// Editors and admins: the form publishes, schedules and deletes (authors only write drafts).
    pub may_publish: bool,
    /// The page is published or scheduled: changes can be staged as a draft of changes.
    pub live: bool,
    /// The form shows the page's draft of changes, saved at this time.
    pub staged: Option<String>,
    /// Where the page's review stands (`content::review`), with its last step.
    pub review_state: String,
    pub last_review: Option<crate::content::review::Review>,
    /// The "Submit for review" message, kept when it was refused.
    pub submit_message: String,
}

/// An autosave slot the editor offers to restore: when, and how its text differs.
pub struct Restorable {
    pub saved_at: String,
    pub hunks: Vec<Vec<DiffLine>>,
    pub title: Option<String>,
}

/// An image an editor may pick: its id, title, alt text and thumbnail.
pub struct ImageChoice {
    pub id: i32,
    pub title: String,
    pub alt: String,
    pub thumb: String,
}

impl PageEdit {
    pub fn action(&self) -> String {
        match self.page_id {
            Some(id) => format!("/admin/pages/{id}"),
            None => "/admin/pages".into(),
        }
    }

    pub fn parent_selected(&self, id: &i32) -> bool {
        self.form.parent_id == id.to_string()
    }

    pub fn image_selected(&self, id: &i32) -> bool {
        self.form.image_id.trim().trim_start_matches('#') == id.to_string()
    }

    /// The chosen featured image when it is not among the recent ones listed.
    pub fn image_unlisted(&self) -> bool {
        !self.form.image_id.trim().is_empty()
            && !self.images.iter().any(|i| self.image_selected(&i.id))
    }
}

pub struct PageRow {
    pub id: i32,
    pub title: String,
    pub path: String,
    pub status: String,
    /// Scheduled and its time has come, or published.
    pub live: bool,
    pub publish_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub author: Option<String>,
    pub review_state: String,
    /// Nesting level in the tree view (0 when filtered).
    pub depth: usize,
}

impl PageRow {
    pub fn url(&self) -> String {
        format!("/{}", self.path)
    }

    pub fn indent_class(&self) -> String {
        format!("depth-{}", self.depth.min(6))
    }
}

#[derive(Template)]
#[template(path = "admin/pages/list.html")]
pub struct PagesList {
    pub ctx: Ctx,
    pub rows: Vec<PageRow>,
    pub total: usize,
    pub status: String,
    pub hub: String,
    pub q: String,
    pub hubs: Vec<ParentOption>,
    pub pagination: crate::pagination::Pagination,
    /// The list's URL with the current filters, ending in `&` or `?`, for pagination links.
    pub base: String,
    pub tree: bool,
}

#[derive(Template)]
#[template(path = "admin/pages/preview.html")]
pub struct Preview {
    pub body: SafeHtml,
    pub toc: SafeHtml,
}

#[derive(Template)]
#[template(path = "admin/pages/revisions.html")]
pub struct RevisionsList {
    pub ctx: Ctx,
    pub page_id: i32,
    pub title: String,
    pub current_version: i32,
    pub revisions: Vec<RevisionSummary>,
    /// Submissions, approvals and requests for changes, newest first.
    pub reviews: Vec<crate::content::review::Review>,
}

#[derive(Template)]
#[template(path = "admin/pages/revision.html")]
pub struct RevisionShow {
    pub ctx: Ctx,
    pub page_id: i32,
    pub page_title: String,
    pub current_version: i32,
    pub revision: Revision,
    pub hunks: Vec<Vec<DiffLine>>,
    pub title_changed: bool,
    pub summary_changed: bool,
}

#[derive(Template)]
#[template(path = "admin/pages/delete.html")]
pub struct DeleteConfirm {
    pub ctx: Ctx,
    pub page_id: i32,
    pub title: String,
    pub path: String,
    pub children: Vec<(String, String)>,
    pub redirect_to: String,
    pub errors: FieldErrors,
}

pub struct BrokenLink {
    pub page_id: i32,
    pub page_title: String,
    pub target: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "admin/links.html")]
pub struct BrokenLinks {
    pub ctx: Ctx,
    pub rows: Vec<BrokenLink>,
}

#[derive(Template)]
#[template(path = "admin/redirects/list.html")]
pub struct RedirectsList {
    pub ctx: Ctx,
    pub redirects: Vec<Redirect>,
    pub from_path: String,
    pub to_path: String,
    pub errors: FieldErrors,
}

#[derive(Template)]
#[template(path = "admin/trash.html")]
pub struct TrashPage {
    pub ctx: Ctx,
    pub items: Vec<crate::content::trash::Item>,
    /// The entry a restore failed for, and why.
    pub failed: Option<(i32, String)>,
    pub is_admin: bool,
    pub retention_days: i64,
}

impl TrashPage {
    pub fn failure_of(&self, id: &i32) -> Option<&str> {
        self.failed
            .as_ref()
            .filter(|(f, _)| f == id)
            .map(|(_, m)| m.as_str())
    }
}
