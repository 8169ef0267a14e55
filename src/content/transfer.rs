//! Importing a folder of Markdown files (the format of `source_files`, which `export` writes):
//! pages are created or updated by path, in batches, each page rendered while the ones before it
//! are written; importing again is idempotent.

use std::collections::{HashSet, VecDeque};
use std::path::PathBuf;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::audit::{self, Actor};
use crate::content::derived::Derived;
use crate::content::pages::{self, Page, PageInput, Status};
use crate::content::saving::{self, Mode, SaveError};
use crate::content::source_files::{Parsed, parse_file, parse_time};
pub use crate::content::source_files::{SourceFile, read_dir};
use crate::db::DbConnection;
use crate::media::transfer::{self as media_transfer, Folder};

/// Pages written per transaction.
const IMPORT_BATCH: usize = 250;

#[derive(Debug, Default)]
pub struct ImportReport {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Files added to the media library (from `media/`, or shown by the pages).
    pub media_added: usize,
    /// A file that could not be imported, and why.
    pub errors: Vec<(PathBuf, String)>,
}

impl ImportReport {
    fn add(&mut self, batch: ImportReport) {
        self.created += batch.created;
        self.updated += batch.updated;
        self.unchanged += batch.unchanged;
        self.media_added += batch.media_added;
        self.errors.extend(batch.errors);
    }
}

/// Imports `files`: parents before children, in transactions of `IMPORT_BATCH` pages (each page
/// with its audit entry, as `actor`); one bad file never stops the others. Pages are matched by
/// path; unchanged pages are left untouched. Backlinks and related pages are derived once at the
/// end, for the whole site. A `second` connection writes every other batch beside the first
/// (worth it on PostgreSQL, where the database does most of the work; SQLite has one writer).
pub fn import(
    conn: &mut DbConnection,
    second: Option<&mut DbConnection>,
    files: Vec<SourceFile>,
    actor: &Actor,
    now: NaiveDateTime,
) -> ImportReport {
    import_with(conn, second, files, actor, now, None, &|_, _, _| {})
}

/// What an import reports as it goes: the step ("Importing pages", "Linking pages"), how many
/// of its things are done and how many there are.
pub type Progress<'a> = &'a dyn Fn(&str, u64, u64);

/// Imports a folder: its media library first (`media/`, as an export writes it), then its pages,
/// whose `/media/…` addresses follow the ids the files got, and whose local images and files
/// (`![x](images/a.png)`, a Hugo page bundle's photos) are taken into the library and pointed at.
/// `second` as for `import`.
pub fn import_folder(
    conn: &mut DbConnection,
    second: Option<&mut DbConnection>,
    folder: &Folder,
    actor: &Actor,
    now: NaiveDateTime,
    progress: Progress,
) -> Result<ImportReport, String> {
    let files = read_dir(folder.root)?;
    Ok(import_with(
        conn,
        second,
        files,
        actor,
        now,
        Some(folder),
        progress,
    ))
}

fn import_with(
    conn: &mut DbConnection,
    mut second: Option<&mut DbConnection>,
    files: Vec<SourceFile>,
    actor: &Actor,
    now: NaiveDateTime,
    folder: Option<&Folder>,
    progress: Progress,
) -> ImportReport {
    let mut report = ImportReport::default();
    let library = folder.map(|f| media_transfer::import(conn, f, actor));
    let ids = library.as_ref().map(|l| l.ids.clone()).unwrap_or_default();
    if let Some(l) = library {
        report.media_added = l.added;
        report.errors.extend(l.errors);
    }
    let mut taken = std::collections::HashMap::new();
    let mut parsed = Vec::new();
    let mut seen = HashSet::new();
    for file in files {
        let result = file.text.and_then(|text| parse_file(&file.rel, &text));
        match result {
            Ok(p) if !seen.insert(p.path.clone()) => report.errors.push((
                file.rel,
                format!("another file already defines the page /{}", p.path),
            )),
            Ok(p) => parsed.push((file.rel, p)),
            Err(e) => report.errors.push((file.rel, e)),
        }
    }
    parsed.sort_by(|a, b| {
        let depth = |p: &Parsed| {
            if p.path.is_empty() {
                0
            } else {
                p.path.matches('/').count() + 1
            }
        };
        (depth(&a.1), &a.1.path).cmp(&(depth(&b.1), &b.1.path))
    });
    // Pages go in batches, a transaction each. With a second connection (PostgreSQL), two
    // batches are written at once, one on each, when the second has no page under a page of
    // the first (whose transaction it could not see yet): the database's own work a page (its
    // full-text vector, its indexes) is most of an import's time there.
    let total = parsed.len() as u64;
    let mut done = 0;
    let mut parsed: VecDeque<_> = parsed.into();
    let batcher = Batcher {
        folder,
        ids: &ids,
        actor,
        now,
    };
    while !parsed.is_empty() {
        let first: Vec<(PathBuf, Parsed)> = take_batch(&mut parsed);
        let beside = match &mut second {
            Some(other) if batcher.independent(&first, &parsed) => {
                Some((take_batch(&mut parsed), &mut **other))
            }
            _ => None,
        };
        done += first.len() as u64;
        match beside {
            None => report.add(batcher.transaction(conn, first, &mut taken)),
            Some((next, other)) => {
                done += next.len() as u64;
                let mut taken_beside = taken.clone();
                let (a, b) = std::thread::scope(|scope| {
                    let beside =
                        scope.spawn(|| batcher.transaction(other, next, &mut taken_beside));
                    let a = batcher.transaction(conn, first, &mut taken);
                    (
                        a,
                        beside
                            .join()
                            .unwrap_or_else(|p| std::panic::resume_unwind(p)),
                    )
                });
                taken.extend(taken_beside);
                report.add(a);
                report.add(b);
            }
        }
        progress("Importing pages", done, total);
    }
    // Backlinks and related pages, once, for the whole site as imported.
    if report.created + report.updated > 0
        && let Err(e) = crate::content::links::rebuild_derived_with(conn, &|done, total| {
            progress("Linking pages", done, total)
        })
    {
        report
            .errors
            .push((PathBuf::from("(links)"), format!("database error: {e}")));
    }
    report.errors.sort_by(|a, b| a.0.cmp(&b.0));
    report
}

enum Outcome {
    Created,
    Updated,
    Unchanged,
}

/// Why a page was not imported: the file's fault (said as the report says it), or the
/// database's.
enum Refusal {
    Page(String),
    Database(diesel::result::Error),
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        Refusal::Database(e)
    }
}

// A front matter time that does not read.
impl From<String> for Refusal {
    fn from(why: String) -> Self {
        Refusal::Page(why)
    }
}

impl From<SaveError> for Refusal {
    fn from(e: SaveError) -> Self {
        match e {
            SaveError::Invalid(errors) => Refusal::Page(errors.to_string()),
            e @ SaveError::Conflict { .. } => Refusal::Page(e.to_string()),
            SaveError::Database(e) => Refusal::Database(e),
        }
    }
}

/// The page as the editor would save it; an error when its hub does not exist (yet).
fn input_for(conn: &mut DbConnection, p: &Parsed) -> Result<PageInput, Refusal> {
    let (parent_path, slug) = match p.path.rsplit_once('/') {
        Some((parent, slug)) => (Some(parent), slug),
        None => (None, p.path.as_str()),
    };
    let parent_id = match parent_path {
        None => None,
        Some(parent) => match pages::id_by_path(conn, parent)? {
            Some(id) => Some(id),
            None => {
                return Err(Refusal::Page(format!(
                    "its hub /{parent} does not exist: add {parent}/_index.md to the import"
                )));
            }
        },
    };
    Ok(PageInput {
        parent_id,
        slug: slug.to_owned(),
        title: p.front.title.clone(),
        summary: p.front.summary.clone(),
        seo_title: p.front.seo_title.clone(),
        body_md: p.body.clone(),
        status: Status::parse(&p.front.status).unwrap_or(Status::Draft),
        publish_at: p.front.publish_at.as_ref().map(parse_time).transpose()?,
        nav_order: p.front.order,
        in_nav: p.front.in_nav,
        // Normalised as saving stores them, so an unchanged file compares equal.
        related_pins: saving::normalise_pins(&p.front.related.join("\n")),
        image_id: p.front.image,
        unpublish_at: p.front.unpublish_at.as_ref().map(parse_time).transpose()?,
    })
}

/// The page stored at the file's path, if any, and whether it is stored as the file has it
/// already (then it is neither rendered nor written). A file that cannot be read as a page yet
/// is not: `Batcher::page` says why.
fn stored(conn: &mut DbConnection, p: &Parsed) -> QueryResult<(Option<Page>, bool)> {
    let Some(existing) = pages::find_by_path(conn, &p.path)? else {
        return Ok((None, false));
    };
    let same = input_for(conn, p).is_ok_and(|input| same_content(&existing.to_input(), &input));
    Ok((Some(existing), same))
}

/// What every batch of an import shares.
struct Batcher<'a> {
    folder: Option<&'a Folder<'a>>,
    ids: &'a std::collections::HashMap<i32, i32>,
    actor: &'a Actor,
    now: NaiveDateTime,
}

/// The next batch of pages.
fn take_batch(parsed: &mut VecDeque<(PathBuf, Parsed)>) -> Vec<(PathBuf, Parsed)> {
    let n = parsed.len().min(IMPORT_BATCH);
    parsed.drain(..n).collect()
}

impl Batcher<'_> {
    /// Whether the batch after `first` (the front of `rest`) can be written beside it: none of
    /// its pages hangs under a page of `first`, and neither batch takes local files into the
    /// library (two transactions would each add a file both show: neither sees the other's).
    fn independent(&self, first: &[(PathBuf, Parsed)], rest: &VecDeque<(PathBuf, Parsed)>) -> bool {
        let next = || rest.iter().take(IMPORT_BATCH);
        let written: HashSet<&str> = first.iter().map(|(_, p)| p.path.as_str()).collect();
        let apart = next().all(|(_, p)| {
            p.path
                .rsplit_once('/')
                .is_none_or(|(parent, _)| !written.contains(parent))
        });
        apart
            && self.folder.is_none_or(|f| {
                !first
                    .iter()
                    .chain(next())
                    .any(|(rel, p)| media_transfer::names_local_files(f, rel, &p.body))
            })
    }

    /// Writes a batch in a transaction of its own, straight into it: a savepoint per page made
    /// SQLite's full-text index flush after every page. A page refused (invalid, its hub
    /// missing) writes nothing; a database error rolls the batch back, and it is written again
    /// a page to a savepoint, so one bad file still never stops the others.
    fn transaction(
        &self,
        conn: &mut DbConnection,
        batch: Vec<(PathBuf, Parsed)>,
        taken: &mut std::collections::HashMap<PathBuf, i32>,
    ) -> ImportReport {
        let before = taken.clone();
        let mut outcome = ImportReport::default();
        let written = crate::db::write(conn, |conn| {
            crate::db::bulk::index_deferred(conn, |conn| {
                self.write(conn, batch.clone(), Mode::InBatch, taken, &mut outcome)?;
                // Saves in a batch leave marking the content changed to it, once.
                if outcome.created + outcome.updated > 0 {
                    crate::snapshot::version::bump_content_version(conn)?;
                }
                Ok::<_, diesel::result::Error>(())
            })
        });
        if written.is_err() {
            *taken = before;
            outcome = ImportReport::default();
            let written = crate::db::write(conn, |conn| {
                self.write(conn, batch, Mode::Alone, taken, &mut outcome)
            });
            if let Err(e) = written {
                outcome
                    .errors
                    .push((PathBuf::from("(batch)"), format!("database error: {e}")));
            }
        }
        outcome
    }

    /// Writes a batch into the current transaction, as `mode` says: the texts as stored (media
    /// addresses renumbered, local files taken in), then the pages that change written one
    /// after another as a second thread renders them (`Derived::in_turn`). A page's database
    /// error fails the batch in `Mode::InBatch`; in `Mode::Alone` (a savepoint a page) only that
    /// page.
    fn write(
        &self,
        conn: &mut DbConnection,
        batch: Vec<(PathBuf, Parsed)>,
        mode: Mode,
        taken: &mut std::collections::HashMap<PathBuf, i32>,
        report: &mut ImportReport,
    ) -> QueryResult<()> {
        let mut ready = Vec::with_capacity(batch.len());
        for (rel, mut p) in batch {
            if let Some(f) = self.folder {
                p.body = media_transfer::renumber(&p.body, self.ids);
                p.front.image = p
                    .front
                    .image
                    .map(|i| self.ids.get(&i).copied().unwrap_or(i));
                let before = taken.len();
                match media_transfer::take_in_local_files(conn, f, self.actor, &rel, &p.body, taken)
                {
                    Ok(body) => p.body = body,
                    Err(e) => {
                        report.errors.push((rel, e));
                        continue;
                    }
                }
                report.media_added += taken.len() - before;
            }
            match stored(conn, &p)? {
                (_, true) => report.unchanged += 1,
                (existing, false) => ready.push((rel, p, existing)),
            }
        }
        let texts: Vec<(&str, &str, Option<i32>)> = ready
            .iter()
            .map(|(_, p, _)| (p.front.title.trim(), p.body.as_str(), p.front.image))
            .collect();
        Derived::in_turn(conn, &texts, |conn, i, derived| {
            let (rel, p, existing) = &ready[i];
            let outcome = mode.run(conn, |conn| {
                self.page(conn, p, existing.as_ref(), derived, mode)
            });
            match outcome {
                Ok(Outcome::Created) => report.created += 1,
                Ok(Outcome::Updated) => report.updated += 1,
                Ok(Outcome::Unchanged) => report.unchanged += 1,
                Err(Refusal::Database(e)) if mode == Mode::InBatch => return Err(e),
                Err(Refusal::Database(e)) => report
                    .errors
                    .push((rel.clone(), format!("database error: {e}"))),
                Err(Refusal::Page(why)) => report.errors.push((rel.clone(), why)),
            }
            Ok(())
        })
    }

    /// Creates or updates one page (`existing`, the one stored at its path), with its audit entry.
    fn page(
        &self,
        conn: &mut DbConnection,
        p: &Parsed,
        existing: Option<&Page>,
        derived: Derived,
        mode: Mode,
    ) -> Result<Outcome, Refusal> {
        let input = input_for(conn, p)?;
        let derived = Some(derived);
        let (outcome, action) = match existing {
            None => {
                saving::create_with(conn, &input, None, "Imported", self.now, mode, derived)?;
                (Outcome::Created, "page.import.create")
            }
            Some(existing) if same_content(&existing.to_input(), &input) => {
                return Ok(Outcome::Unchanged);
            }
            Some(existing) => {
                saving::update_with(
                    conn,
                    existing.id,
                    &input,
                    None,
                    None,
                    "Imported",
                    self.now,
                    mode,
                    derived,
                )?;
                (Outcome::Updated, "page.import.update")
            }
        };
        audit::record(conn, self.actor, action, &format!("/{}", p.path), self.now)?;
        Ok(outcome)
    }
}

/// Equal as far as an import can tell (a published page without a time keeps its own).
fn same_content(stored: &PageInput, incoming: &PageInput) -> bool {
    let time_matches = incoming.publish_at.is_none() && incoming.status == Status::Published
        || incoming.publish_at == stored.publish_at;
    let normalise = |i: &PageInput| PageInput {
        publish_at: None,
        title: i.title.trim().to_owned(),
        summary: i.summary.trim().to_owned(),
        seo_title: i
            .seo_title
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned),
        ..i.clone()
    };
    time_matches && normalise(stored) == normalise(incoming)
}
