//! The background work after an upload: a job per standard rendition, claimed with a lease (like
//! the e-mail outbox), so a restart or another instance finishes what one started, and the worker
//! thread each instance runs.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::schema::rendition_jobs;
use crate::media::imaging::Encoding;
use crate::media::library::{self, Media};
use crate::media::renditions::{Spec, make, standard};
use crate::media::store::BlobStore;

/// How long a worker holds jobs it claimed; past it, another instance may take them over.
const LEASE: Duration = Duration::minutes(5);
const MAX_ATTEMPTS: i32 = 3;
/// Queues the standard renditions of the file's current version.
pub fn enqueue_standard(
    conn: &mut DbConnection,
    file: &Media,
    widths: &[u32],
    now: NaiveDateTime,
) -> QueryResult<()> {
    for (spec, encoding) in standard(file, widths) {
        diesel::insert_into(rendition_jobs::table)
            .values((
                rendition_jobs::media_id.eq(file.id),
                rendition_jobs::version.eq(file.version),
                rendition_jobs::spec.eq(spec.name()),
                rendition_jobs::format.eq(encoding.ext()),
                rendition_jobs::attempts.eq(0),
                rendition_jobs::last_error.eq(""),
                rendition_jobs::created_at.eq(now),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Drops the jobs of a file (replaced or deleted).
pub fn forget(conn: &mut DbConnection, media_id: i32) -> QueryResult<()> {
    diesel::delete(rendition_jobs::table.filter(rendition_jobs::media_id.eq(media_id)))
        .execute(conn)
        .map(drop)
}

/// Jobs not yet done (for the library screen and the tests).
pub fn pending(conn: &mut DbConnection) -> QueryResult<i64> {
    rendition_jobs::table
        .filter(rendition_jobs::done_at.is_null())
        .filter(rendition_jobs::attempts.lt(MAX_ATTEMPTS))
        .count()
        .get_result(conn)
}

/// Jobs one worker holds: renditions of one version of one file.
struct Claimed {
    media_id: i32,
    version: i32,
    wanted: Vec<(Spec, Encoding)>,
}

/// Claims the due jobs of one file version for `worker`: the oldest due job's file, and every
/// other due job of it, so the image is decoded once for all of them.
fn claim(
    conn: &mut DbConnection,
    worker: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Claimed>> {
    let due = || {
        rendition_jobs::table
            .filter(rendition_jobs::done_at.is_null())
            .filter(rendition_jobs::attempts.lt(MAX_ATTEMPTS))
            .filter(
                rendition_jobs::locked_until
                    .is_null()
                    .or(rendition_jobs::locked_until.lt(now)),
            )
    };
    let Some((media_id, version)) = due()
        .order(rendition_jobs::id.asc())
        .select((rendition_jobs::media_id, rendition_jobs::version))
        .first::<(i32, i32)>(conn)
        .optional()?
    else {
        return Ok(None);
    };
    // The due conditions again in the update: only one worker wins each job.
    let won = diesel::update(
        due()
            .filter(rendition_jobs::media_id.eq(media_id))
            .filter(rendition_jobs::version.eq(version)),
    )
    .set((
        rendition_jobs::locked_until.eq(now + LEASE),
        rendition_jobs::lock_token.eq(worker),
        rendition_jobs::attempts.eq(rendition_jobs::attempts + 1),
    ))
    .execute(conn)?;
    if won == 0 {
        return Ok(Some(Claimed {
            media_id,
            version,
            wanted: Vec::new(),
        }));
    }
    let jobs: Vec<(String, String)> = rendition_jobs::table
        .filter(rendition_jobs::lock_token.eq(worker))
        .filter(rendition_jobs::done_at.is_null())
        .select((rendition_jobs::spec, rendition_jobs::format))
        .load(conn)?;
    let wanted = jobs
        .iter()
        .filter_map(|(s, f)| Some((Spec::parse(s)?, Encoding::from_ext(f)?)))
        .collect();
    Ok(Some(Claimed {
        media_id,
        version,
        wanted,
    }))
}

/// Works through every due job (until `stop` says so); returns how many renditions were made.
pub fn work(
    conn: &mut DbConnection,
    store: &dyn BlobStore,
    webp_quality: u8,
    stop: &dyn Fn() -> bool,
) -> QueryResult<usize> {
    let mut made = 0;
    loop {
        if stop() {
            return Ok(made);
        }
        let worker = crate::tokens::lease_token();
        let now = crate::clock::now();
        let Some(Claimed {
            media_id,
            version,
            wanted,
        }) = claim(conn, &worker, now)?
        else {
            return Ok(made);
        };
        let file = library::find(conn, media_id)?;
        let outcome = match file {
            Some(file) if file.version == version && !wanted.is_empty() => {
                make(conn, store, &file, &wanted, webp_quality).map(|m| m.len())
            }
            // Replaced or deleted: nothing to make for that version.
            _ => Ok(0),
        };
        let finished = rendition_jobs::table
            .filter(rendition_jobs::lock_token.eq(&worker))
            .filter(rendition_jobs::done_at.is_null());
        match outcome {
            Ok(n) => {
                made += n;
                diesel::update(finished)
                    .set(rendition_jobs::done_at.eq(crate::clock::now()))
                    .execute(conn)?;
            }
            Err(error) => {
                log::warn!("making renditions of media #{media_id} failed: {error}");
                diesel::update(finished)
                    .set((
                        rendition_jobs::last_error.eq(error),
                        rendition_jobs::locked_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?;
            }
        }
    }
}

/// How long the worker rests when there is nothing to make.
const IDLE: std::time::Duration = std::time::Duration::from_secs(1);

/// Starts this instance's rendition worker: a thread of its own, as resizing is CPU work that
/// must not hold up the web workers.
/// It ends when `stopping` is set, after the file it is working on.
pub fn spawn_worker(
    pool: crate::db::DbPool,
    webp_quality: u8,
    stopping: std::sync::Arc<crate::state::Stopping>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("renditions".into())
        .spawn(move || {
            let stop = || stopping.is_set();
            while !stop() {
                // A panic in a codec ends that batch, not the worker.
                let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    pool.get().map_err(|e| e.to_string()).and_then(|mut c| {
                        work(
                            &mut c,
                            crate::media::store::configured(),
                            webp_quality,
                            &stop,
                        )
                        .map_err(|e| e.to_string())
                    })
                }))
                .unwrap_or_else(|_| Err("making a rendition panicked".into()));
                match made {
                    Ok(0) => std::thread::sleep(IDLE),
                    Ok(n) => {
                        metrics::counter!("galley_renditions_made_total").increment(n as u64);
                        log::debug!("made {n} rendition(s)");
                    }
                    Err(e) => {
                        log::warn!("the rendition worker failed: {e}");
                        std::thread::sleep(IDLE);
                    }
                }
            }
        })
}

/// Gives back the jobs this instance holds and has not finished (it is stopping): another
/// instance takes them at once, and the attempt does not count.
pub fn release_held(conn: &mut DbConnection, prefix: &str) -> QueryResult<usize> {
    let like = format!("{}%", crate::db::escape_like(prefix));
    // Held now: a failed attempt keeps its token but no lease, and keeps its count.
    diesel::update(
        rendition_jobs::table
            .filter(rendition_jobs::lock_token.like(like).escape('\\'))
            .filter(rendition_jobs::done_at.is_null())
            .filter(rendition_jobs::locked_until.gt(crate::clock::now())),
    )
    .set((
        rendition_jobs::locked_until.eq(None::<NaiveDateTime>),
        rendition_jobs::lock_token.eq(None::<String>),
        rendition_jobs::attempts.eq(rendition_jobs::attempts - 1),
    ))
    .execute(conn)
}
