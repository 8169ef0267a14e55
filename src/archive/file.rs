//! Archives as files: gzip-compressed, written to a `.partial` name and renamed when complete (so
//! a file with the archive's name is always whole), progress on a terminal; and SQLite's own
//! copy (`VACUUM INTO`) for the fastest same-backend backup.

use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::Path;

use diesel::prelude::*;
use flate2::Compression;
use flate2::read::GzDecoder;
use flate2::write::GzEncoder;

use crate::archive::{ArchiveError, Manifest, dump, load};
use crate::db::DbConnection;
use crate::progress::Progress;

/// The manifest as plain lines, a part each.
pub fn summary(manifest: &Manifest) -> String {
    manifest
        .parts
        .iter()
        .map(|p| {
            format!(
                "  {:<20} {:>8} rows  sha256 {}\n",
                p.name,
                p.rows,
                &p.sha256[..16]
            )
        })
        .collect()
}

/// Writes the site to `path` (gzip); returns its manifest.
pub fn backup_to(
    conn: &mut DbConnection,
    path: &Path,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Manifest, ArchiveError> {
    let partial = path.with_extension("partial");
    let written = (|| {
        let file = File::create(&partial)?;
        let mut gz = GzEncoder::new(BufWriter::new(file), Compression::fast());
        let manifest = dump::backup(conn, &mut gz, progress)?;
        let mut inner = gz.finish()?;
        inner.flush()?;
        inner.get_ref().sync_all()?;
        Ok::<_, ArchiveError>(manifest)
    })();
    match written {
        Ok(manifest) => {
            std::fs::rename(&partial, path)?;
            Ok(manifest)
        }
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            Err(e)
        }
    }
}

/// Restores the site from `path` (see `load::restore`).
pub fn restore_from(
    conn: &mut DbConnection,
    path: &Path,
    force: bool,
    progress: &mut dyn FnMut(&str, u64),
) -> Result<Manifest, ArchiveError> {
    let file = File::open(path)?;
    let mut input = BufReader::new(GzDecoder::new(BufReader::new(file)));
    load::restore(conn, &mut input, force, progress)
}

/// SQLite's own consistent copy of the database file, to `path` (which must not exist).
pub fn sqlite_copy(conn: &mut DbConnection, path: &Path) -> Result<(), ArchiveError> {
    let DbConnection::Sqlite(c) = conn else {
        return Err(ArchiveError::Refused(
            "--sqlite copies an SQLite database; this one is PostgreSQL".into(),
        ));
    };
    if path.exists() {
        return Err(ArchiveError::Refused(format!(
            "{} exists already",
            path.display()
        )));
    }
    let target = path.to_string_lossy().replace('\'', "''");
    diesel::sql_query(format!("VACUUM INTO '{target}'")).execute(c)?;
    Ok(())
}

/// `galley backup FILE [--sqlite]`.
pub fn backup_command(
    pool: &crate::db::DbPool,
    file: &std::path::Path,
    sqlite: bool,
) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    if sqlite {
        sqlite_copy(&mut conn, file).map_err(|e| e.to_string())?;
        println!("Copied the SQLite database to {}.", file.display());
        return Ok(());
    }
    let progress = Progress::counter();
    let manifest = backup_to(&mut conn, file, &mut |part, rows| progress.part(part, rows))
        .map_err(|e| e.to_string())?;
    progress.finish();
    let rows: u64 = manifest.parts.iter().map(|p| p.rows).sum();
    print!("{}", summary(&manifest));
    println!(
        "Wrote {} ({} tables, {rows} rows) in {:.1} s.",
        file.display(),
        manifest.parts.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `galley restore FILE [--force]`.
pub fn restore_command(
    pool: &crate::db::DbPool,
    file: &std::path::Path,
    force: bool,
) -> Result<(), String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let started = std::time::Instant::now();
    let progress = Progress::counter();
    crate::db::bulk::prepare(&mut conn).map_err(|e| e.to_string())?;
    let manifest = restore_from(&mut conn, file, force, &mut |part, rows| {
        progress.part(part, rows)
    })
    .map_err(|e| format!("nothing was restored: {e}"))?;
    crate::db::bulk::finish(&mut conn);
    progress.finish();
    let rows: u64 = manifest.parts.iter().map(|p| p.rows).sum();
    print!("{}", summary(&manifest));
    println!(
        "Restored {} ({} tables, {rows} rows, checked) in {:.1} s.",
        file.display(),
        manifest.parts.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
