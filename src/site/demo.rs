//! The demo site seeded on first start: a small real site about galley, written in the import
//! format and embedded in the binary.

use std::path::PathBuf;

use include_dir::{Dir, include_dir};

use crate::content::source_files::SourceFile;

static DEMO_DIR: Dir<'static> = include_dir!("$CARGO_MANIFEST_DIR/src/site/demo");

/// The demo files, as an import source.
pub fn files() -> Vec<SourceFile> {
    let mut out = Vec::new();
    collect(&DEMO_DIR, &mut out);
    out
}

fn collect(dir: &'static Dir<'static>, out: &mut Vec<SourceFile>) {
    for file in dir.files() {
        let text = file
            .contents_utf8()
            .map(str::to_owned)
            .ok_or_else(|| "not UTF-8".to_owned());
        out.push(SourceFile {
            rel: PathBuf::from(file.path()),
            text,
        });
    }
    for sub in dir.dirs() {
        collect(sub, out);
    }
}
