//! Scheduled backups (`GALLEY_BACKUP_DIR`, `GALLEY_BACKUP_EVERY`, `GALLEY_BACKUP_KEEP`): every
//! instance checks once a minute, and the one that takes the lease in the database makes the
//! backup, so several instances make each backup once. The newest `keep` archives are kept.

use std::path::{Path, PathBuf};
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::archive::file::backup_to;
use crate::db::schema::leases;
use crate::db::{DbConnection, DbPool};

const LEASE: &str = "backup";
/// How long a backup may take before another instance may take the lease over.
const HOLD: Duration = Duration::hours(2);
const PREFIX: &str = "galley-";
/// How soon a failed backup is tried again.
const RETRY: Duration = Duration::minutes(15);
const SUFFIX: &str = ".galley";

/// `6h`, `30m`, `1d`, `90s` (or plain seconds).
pub fn parse_every(text: &str) -> Option<StdDuration> {
    let text = text.trim();
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number.parse().ok().filter(|n| *n > 0)?;
    let seconds = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86_400,
        _ => return None,
    };
    Some(StdDuration::from_secs(seconds))
}

/// Takes the lease for `holder` when a backup is due (none yet, or the last one `every` ago)
/// and nobody holds it. One conditional update: of two instances asking at once, one wins.
pub fn claim(
    conn: &mut DbConnection,
    holder: &str,
    every: Duration,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    crate::with_backend!(conn, |c| diesel::insert_into(leases::table)
        .values(leases::name.eq(LEASE))
        .on_conflict_do_nothing()
        .execute(c))?;
    let won = diesel::update(
        leases::table
            .filter(leases::name.eq(LEASE))
            .filter(
                leases::locked_until
                    .is_null()
                    .or(leases::locked_until.lt(now)),
            )
            .filter(
                leases::last_done_at
                    .is_null()
                    .or(leases::last_done_at.le(now - every)),
            ),
    )
    .set((
        leases::holder.eq(holder),
        leases::locked_until.eq(now + HOLD),
    ))
    .execute(conn)?;
    Ok(won == 1)
}

/// The backup is made (or failed: `done` false leaves the schedule as it was, for a retry).
pub fn release(
    conn: &mut DbConnection,
    holder: &str,
    done: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let held = leases::table
        .filter(leases::name.eq(LEASE))
        .filter(leases::holder.eq(holder));
    match done {
        Some(at) => diesel::update(held)
            .set((
                leases::locked_until.eq(None::<NaiveDateTime>),
                leases::holder.eq(None::<String>),
                leases::last_done_at.eq(at),
            ))
            .execute(conn)?,
        None => diesel::update(held)
            .set((
                leases::locked_until.eq(None::<NaiveDateTime>),
                leases::holder.eq(None::<String>),
            ))
            .execute(conn)?,
    };
    Ok(())
}

/// The archives in `dir`, oldest first (their names sort by time).
pub fn archives(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(PREFIX) && n.ends_with(SUFFIX))
        })
        .collect();
    found.sort();
    Ok(found)
}

/// One check: if this instance wins the lease, a backup into `dir`, then the oldest archives
/// beyond `keep` go. Returns the archive made, if any.
pub fn tick(
    conn: &mut DbConnection,
    dir: &Path,
    every: StdDuration,
    keep: usize,
    holder: &str,
    now: NaiveDateTime,
) -> Result<Option<PathBuf>, String> {
    let every = Duration::from_std(every).map_err(|e| e.to_string())?;
    if !claim(conn, holder, every, now).map_err(|e| e.to_string())? {
        return Ok(None);
    }
    std::fs::create_dir_all(dir).map_err(|e| e.to_string())?;
    let path = dir.join(format!(
        "{PREFIX}{}{SUFFIX}",
        now.format("%Y%m%d-%H%M%S%.6f")
    ));
    let made = backup_to(conn, &path, &mut |_, _| {}).map_err(|e| e.to_string());
    // A failed backup (a full disk, say) is tried again in a while, not every minute.
    let recorded = match made {
        Ok(_) => now,
        Err(_) => now - every + RETRY.min(every),
    };
    release(conn, holder, Some(recorded)).map_err(|e| e.to_string())?;
    made?;
    let all = archives(dir).map_err(|e| e.to_string())?;
    let extra = all.len().saturating_sub(keep.max(1));
    for old in all.iter().filter(|p| **p != path).take(extra) {
        std::fs::remove_file(old).map_err(|e| format!("{}: {e}", old.display()))?;
    }
    Ok(Some(path))
}

/// The instance's scheduler: a thread that checks once a minute until the instance stops.
pub fn spawn(
    pool: DbPool,
    dir: PathBuf,
    every: StdDuration,
    keep: usize,
    stopping: std::sync::Arc<crate::state::Stopping>,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("backups".into())
        .spawn(move || {
            let holder = crate::tokens::lease_token();
            while !stopping.is_set() {
                let made = pool.get().map_err(|e| e.to_string()).and_then(|mut c| {
                    tick(&mut c, &dir, every, keep, &holder, crate::clock::now())
                });
                match made {
                    Ok(Some(path)) => log::info!("scheduled backup written: {}", path.display()),
                    Ok(None) => {}
                    Err(e) => log::warn!("scheduled backup failed: {e}"),
                }
                for _ in 0..60 {
                    if stopping.is_set() {
                        break;
                    }
                    std::thread::sleep(StdDuration::from_secs(1));
                }
            }
        })
}

/// Gives back the backup lease this instance holds (it is stopping mid-backup).
pub fn release_held(conn: &mut DbConnection, prefix: &str) -> QueryResult<usize> {
    let like = format!("{}%", crate::db::escape_like(prefix));
    diesel::update(leases::table.filter(leases::holder.like(like).escape('\\')))
        .set((
            leases::locked_until.eq(None::<NaiveDateTime>),
            leases::holder.eq(None::<String>),
        ))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_read_as_people_write_them() {
        assert_eq!(parse_every("6h"), Some(StdDuration::from_secs(21_600)));
        assert_eq!(parse_every("30m"), Some(StdDuration::from_secs(1800)));
        assert_eq!(parse_every("1d"), Some(StdDuration::from_secs(86_400)));
        assert_eq!(parse_every("90"), Some(StdDuration::from_secs(90)));
        assert_eq!(parse_every("0h"), None);
        assert_eq!(parse_every("6 hours"), None);
        assert_eq!(parse_every(""), None);
    }
}
