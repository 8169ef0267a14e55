//! Small builders over the models.

use chrono::{Duration, NaiveDateTime};

use galley::content::pages::{Page, PageInput, Status};
use galley::content::saving;

use super::TestApp;

pub struct PageBuilder {
    input: PageInput,
}

/// A published page with `slug` and `title`, at the top level.
pub fn page(slug: &str, title: &str) -> PageBuilder {
    PageBuilder {
        input: PageInput {
            parent_id: None,
            slug: slug.into(),
            title: title.into(),
            summary: format!("Summary of {title}."),
            seo_title: None,
            body_md: format!("Body of {title}.\n"),
            status: Status::Published,
            publish_at: None,
            nav_order: 0,
            in_nav: false,
            related_pins: String::new(),
            image_id: None,
            unpublish_at: None,
        },
    }
}

impl PageBuilder {
    pub fn under(mut self, parent: &Page) -> Self {
        self.input.parent_id = Some(parent.id);
        self
    }
    pub fn body(mut self, md: &str) -> Self {
        self.input.body_md = md.into();
        self
    }
    pub fn summary(mut self, s: &str) -> Self {
        self.input.summary = s.into();
        self
    }
    pub fn order(mut self, n: i32) -> Self {
        self.input.nav_order = n;
        self
    }
    pub fn pin(mut self, path: &str) -> Self {
        self.input.related_pins.push_str(path);
        self.input.related_pins.push('\n');
        self
    }
    pub fn image(mut self, media_id: i32) -> Self {
        self.input.image_id = Some(media_id);
        self
    }
    pub fn in_nav(mut self) -> Self {
        self.input.in_nav = true;
        self
    }
    pub fn draft(mut self) -> Self {
        self.input.status = Status::Draft;
        self
    }
    pub fn until(mut self, at: NaiveDateTime) -> Self {
        self.input.unpublish_at = Some(at);
        self
    }
    pub fn scheduled(mut self, at: NaiveDateTime) -> Self {
        self.input.status = Status::Scheduled;
        self.input.publish_at = Some(at);
        self
    }
    /// The page as input, for saving it some other way.
    pub fn input(self) -> PageInput {
        self.input
    }

    pub async fn create(self, app: &TestApp) -> Page {
        let input = self.input;
        app.with_conn_then_refresh(move |c| {
            saving::create(c, &input, None, "", galley::clock::now())
        })
        .await
        .expect("create page")
    }
}

pub fn in_seconds(s: i64) -> NaiveDateTime {
    galley::clock::now() + Duration::seconds(s)
}
