//! The editors' screens of the media library: the library and its upload form (`library`), and
//! a file's page: details, focal point, replacing the file, the pages that use it, deleting it
//! and, for admins, the untouched original (`file`).

mod file;
mod library;

pub use file::{PageRenderer, delete, original, replace, show, update};
pub use library::{create, list};

use actix_web::web;

use crate::media::intake::{self, Prepared};
use crate::web::upload::{self, Upload};

/// Checks and cleans every file of an upload off the async workers; the errors name the file.
pub(crate) async fn prepare_all(files: Vec<upload::File>) -> Result<Vec<Prepared>, String> {
    web::block(move || {
        let many = files.len() > 1;
        let mut prepared = Vec::with_capacity(files.len());
        let mut refused = Vec::new();
        for file in files {
            let name = file.file_name.clone();
            match intake::prepare(intake::Upload {
                file_name: file.file_name,
                bytes: file.bytes,
            }) {
                Ok(p) => prepared.push(p),
                Err(e) if many => refused.push(format!("{name}: {e}")),
                Err(e) => refused.push(e),
            }
        }
        if refused.is_empty() {
            Ok(prepared)
        } else {
            Err(refused.join(" "))
        }
    })
    .await
    .map_err(|e| format!("the upload could not be processed: {e}"))?
}

/// The files of an upload: the parts of the `file` field.
pub(crate) fn files_of(upload: &mut Upload) -> Vec<upload::File> {
    std::mem::take(&mut upload.files)
        .into_iter()
        .filter(|f| f.field == "file")
        .collect()
}
