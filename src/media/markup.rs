//! How pages show files: the `/media/…` addresses Markdown may use, and the HTML of an image
//! (`<figure>`, `<picture>` with a WebP source, `srcset`, and the stored width and height, so
//! nothing shifts while it loads). Made when a page is saved; sanitised with the rest of the page.

use std::collections::HashMap;

use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::DbConnection;

use crate::html::escape;
use crate::media::imaging::Encoding;
use crate::media::imaging::{Cut, size_of};
use crate::media::library::Media;
use crate::media::renditions::{self, CARD, SOCIAL, Spec, THUMB};
use crate::snapshot::tree::ImageRef;

/// How wide images show in a page's text column (`--measure` in site.css).
const SIZES: &str = "(max-width: 44rem) 100vw, 42rem";

/// The media id a Markdown address names: `/media/42`, or the URL of any of its renditions
/// (`/media/42-3/w800/bench.webp`, with or without this site's origin in front).
pub fn id_in(url: &str, base_url: &str) -> Option<i32> {
    let path = url.strip_prefix(base_url).unwrap_or(url);
    let rest = path.strip_prefix("/media/")?;
    let first = rest.split(['/', '?', '#']).next()?;
    let id = first.split('-').next()?;
    if id.is_empty() || id.len() > 9 || !id.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    id.parse().ok()
}

/// What a page keeps of an image to show it without asking the library: its addresses and size.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Picture {
    pub id: i32,
    pub version: i32,
    pub name: String,
    pub ext: String,
    pub width: u32,
    pub height: u32,
    pub alt: String,
    pub caption: String,
    pub credit: String,
    /// The widths it is offered at (narrower than itself).
    pub widths: Vec<u32>,
    /// Its crops for hub cards and for social previews.
    pub card: ImageRef,
    pub social: ImageRef,
}

impl Picture {
    /// `None` for documents.
    pub fn of(file: &Media, widths: &[u32]) -> Option<Picture> {
        let (width, height) = file.size().filter(|_| file.is_image())?;
        let crop = |(w, h): (u32, u32), ext: &str| {
            let (cw, ch) = size_of(Cut::Fill(w, h), width, height).unwrap_or((width, height));
            ImageRef {
                url: file.url(&Spec::Fill(w, h).name(), ext),
                width: cw,
                height: ch,
                alt: file.alt.clone(),
            }
        };
        Some(Picture {
            // A card shows a still in WebP; a social preview is in the image's own format, as not
            // every service reads WebP.
            card: crop(CARD, Encoding::Webp.ext()),
            social: crop(SOCIAL, &file.ext),
            id: file.id,
            version: file.version,
            name: file.name.clone(),
            ext: file.ext.clone(),
            width,
            height,
            alt: file.alt.clone(),
            caption: file.caption.clone(),
            credit: file.credit.clone(),
            widths: renditions::widths_of(file, widths),
        })
    }

    pub fn url(&self, spec: Spec, ext: &str) -> String {
        format!(
            "/media/{}-{}/{}/{}.{ext}",
            self.id,
            self.version,
            spec.name(),
            self.name
        )
    }

    /// Animated GIFs are shown as uploaded: their renditions would be stills.
    pub fn animated_gif(&self) -> bool {
        self.ext == Encoding::Gif.ext()
    }

    /// `url 320w, url 640w, …`, ending with the whole image unless it is far wider than the
    /// widest rendition (a 6000-pixel photo is never worth sending to a page).
    fn srcset(&self, ext: &str) -> String {
        let mut parts: Vec<String> = self
            .widths
            .iter()
            .map(|w| format!("{} {w}w", self.url(Spec::Width(*w), ext)))
            .collect();
        if self.widths.last().is_none_or(|w| self.width <= w * 2) {
            parts.push(format!("{} {}w", self.url(Spec::Original, ext), self.width));
        }
        parts.join(", ")
    }

    /// The srcset of the WebP `<source>`; `None` when the image is WebP (or an animation).
    pub fn webp_srcset(&self) -> Option<String> {
        let webp = Encoding::Webp.ext();
        (self.ext != webp && !self.animated_gif()).then(|| self.srcset(webp))
    }

    /// The `<img>`'s own srcset; `None` for animations.
    pub fn own_srcset(&self) -> Option<String> {
        (!self.animated_gif()).then(|| self.srcset(&self.ext))
    }

    /// The `<img>` fallback: 960 wide where there is such a width, else the whole image.
    pub fn fallback(&self) -> String {
        match self.widths.iter().rev().find(|w| **w <= 960) {
            Some(w) if self.width > 960 && !self.animated_gif() => {
                self.url(Spec::Width(*w), &self.ext)
            }
            _ => self.url(Spec::Original, &self.ext),
        }
    }

    pub fn sizes(&self) -> &'static str {
        SIZES
    }

    /// `<picture>` with a WebP source and an `<img>` with srcset, sizes, width and height.
    /// `eager` for the first image of a page (it is likely in view: no lazy loading).
    pub fn picture(&self, alt: &str, eager: bool) -> String {
        let loading = if eager { "" } else { " loading=\"lazy\"" };
        let (width, height) = (self.width, self.height);
        let img = |srcset: String| {
            format!(
                "<img src=\"{}\"{srcset} alt=\"{}\" width=\"{width}\" height=\"{height}\"{loading} decoding=\"async\">",
                escape(&self.fallback()),
                escape(alt),
            )
        };
        let Some(own) = self.own_srcset() else {
            return img(String::new());
        };
        let source = self
            .webp_srcset()
            .map(|set| {
                format!(
                    "<source type=\"image/webp\" srcset=\"{}\" sizes=\"{SIZES}\">",
                    escape(&set)
                )
            })
            .unwrap_or_default();
        let own = format!(" srcset=\"{}\" sizes=\"{SIZES}\"", escape(&own));
        format!("<picture>{source}{}</picture>", img(own))
    }

    /// A `<figure>` with the picture and its caption (and credit), if any.
    pub fn figure(&self, alt: &str, caption: &str, eager: bool) -> String {
        let mut out = format!("<figure>{}", self.picture(alt, eager));
        let caption = caption.trim();
        let credit = self.credit.trim();
        if !caption.is_empty() || !credit.is_empty() {
            out.push_str("<figcaption>");
            out.push_str(&escape(caption));
            if !credit.is_empty() {
                if !caption.is_empty() {
                    out.push(' ');
                }
                out.push_str(&format!("<small>{}</small>", escape(credit)));
            }
            out.push_str("</figcaption>");
        }
        out.push_str("</figure>");
        out
    }
}

/// The files a page's text and featured image name, as found in the library when it is saved.
pub struct Library {
    files: HashMap<i32, Media>,
    pictures: HashMap<i32, Picture>,
}

impl Library {
    /// Looks up `ids` (two queries, whatever their number).
    pub fn load(conn: &mut DbConnection, ids: &[i32]) -> QueryResult<Library> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Library {
                files: HashMap::new(),
                pictures: HashMap::new(),
            });
        }
        let files: HashMap<i32, Media> = crate::media::library::find_many(conn, &ids)?
            .into_iter()
            .map(|m| (m.id, m))
            .collect();
        let mut widths = renditions::queued_widths(conn, files.values())?;
        let pictures = files
            .values()
            .filter_map(|f| {
                let w = widths.remove(&f.id).unwrap_or_default();
                Picture::of(f, &w).map(|p| (f.id, p))
            })
            .collect();
        Ok(Library { files, pictures })
    }

    pub fn has(&self, id: i32) -> bool {
        self.files.contains_key(&id)
    }

    /// Each file found and when it last changed, to tell later whether what was made of them
    /// is still current.
    pub fn seen(&self) -> Vec<(i32, chrono::NaiveDateTime)> {
        let mut seen: Vec<_> = self.files.values().map(|f| (f.id, f.updated_at)).collect();
        seen.sort_unstable();
        seen
    }

    pub fn picture(&self, id: i32) -> Option<&Picture> {
        self.pictures.get(&id)
    }

    /// The markup of an image in a page's text: a figure when it stands alone, a picture
    /// inline; a document named as an image becomes a link to it. `None`: not from the library.
    /// `featured`: the page shows a featured image above its text, so no text image is first.
    pub fn image_markup(&self, image: &crate::markdown::Image, featured: bool) -> Option<String> {
        let id = id_in(image.url, "")?;
        let file = self.files.get(&id)?;
        let eager = image.first && !featured;
        match self.pictures.get(&id) {
            Some(picture) => {
                let alt = if image.alt.is_empty() {
                    &file.alt
                } else {
                    image.alt
                };
                let caption = if image.title.is_empty() {
                    &file.caption
                } else {
                    image.title
                };
                Some(if image.alone {
                    picture.figure(alt, caption, eager)
                } else {
                    picture.picture(alt, eager)
                })
            }
            None => {
                let text = if image.alt.is_empty() {
                    &file.title
                } else {
                    image.alt
                };
                let link = format!(
                    "<a href=\"{}\">{}</a>",
                    escape(&file.original_url()),
                    escape(text)
                );
                Some(if image.alone {
                    format!("<p>{link}</p>")
                } else {
                    link
                })
            }
        }
    }
}

/// An image as the site's default social image: its social crop.
pub fn social(file: &Media) -> Option<ImageRef> {
    Picture::of(file, &[]).map(|p| p.social)
}

/// An image as the site's logo: the file itself, with its size.
pub fn logo(file: &Media) -> Option<ImageRef> {
    let (width, height) = file.size().filter(|_| file.is_image())?;
    Some(ImageRef {
        url: file.original_url(),
        width,
        height,
        alt: String::new(),
    })
}

/// An image as the site's icons: its square PNG crops.
pub fn icons(file: &Media) -> Option<crate::snapshot::appearance::Icons> {
    file.size().filter(|_| file.is_image())?;
    let icon = |n: u32| file.url(&Spec::Fill(n, n).name(), Encoding::Png.ext());
    Some(crate::snapshot::appearance::Icons {
        favicon: icon(32),
        apple_touch: icon(180),
        icon_192: icon(192),
        icon_512: icon(512),
    })
}

/// The square thumbnail the library shows.
pub fn thumb_url(file: &Media) -> Option<String> {
    file.is_image()
        .then(|| file.url(&Spec::Fill(THUMB.0, THUMB.1).name(), Encoding::Webp.ext()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ids_come_from_any_of_its_addresses() {
        assert_eq!(id_in("/media/42", ""), Some(42));
        assert_eq!(id_in("/media/42-3/w800/bench.webp", ""), Some(42));
        assert_eq!(
            id_in("https://site.test/media/7", "https://site.test"),
            Some(7)
        );
        assert_eq!(id_in("/media/x", ""), None);
        assert_eq!(id_in("/mediax/1", ""), None);
        assert_eq!(
            id_in("https://other.test/media/7", "https://site.test"),
            None
        );
    }

    #[test]
    fn a_picture_offers_webp_and_its_own_format() {
        let p = Picture {
            id: 4,
            version: 2,
            name: "bench".into(),
            ext: "jpg".into(),
            width: 1500,
            height: 1000,
            alt: "A bench".into(),
            caption: String::new(),
            credit: String::new(),
            widths: vec![320, 640, 960, 1280],
            card: ImageRef::default(),
            social: ImageRef::default(),
        };
        let html = p.figure("A <bench>", "In the garden", true);
        assert!(html.starts_with(
            "<figure><picture><source type=\"image/webp\" srcset=\"/media/4-2/w320/bench.webp 320w"
        ));
        assert!(html.contains("src=\"/media/4-2/w960/bench.jpg\""));
        assert!(html.contains("/media/4-2/original/bench.jpg 1500w"));
        assert!(
            html.contains(
                "alt=\"A &#60;bench&#62;\" width=\"1500\" height=\"1000\" decoding=\"async\""
            ),
            "{html}"
        );
        assert!(html.ends_with("<figcaption>In the garden</figcaption></figure>"));
        assert!(p.picture("x", false).contains("loading=\"lazy\""));
    }
}
