//! Progress of the long commands (import, export, backup, restore): a bar on a terminal, drawn
//! on standard error; nothing elsewhere (a log or a pipe gets the commands' summary lines).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    bar: ProgressBar,
}

impl Progress {
    /// A bar towards `total` things (pages, files).
    pub fn bar(what: &str, total: u64) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), target());
        bar.set_style(
            ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} (about {eta} left)")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        bar.set_message(what.to_owned());
        Progress { bar }
    }

    /// A counter of rows, by part, when the total is not known beforehand (an archive).
    pub fn counter() -> Progress {
        let bar = ProgressBar::with_draw_target(None, target());
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg}: {pos} rows ({elapsed})")
                .expect("a valid template"),
        );
        Progress { bar }
    }

    /// `done` of the total so far.
    pub fn set(&self, done: u64) {
        self.bar.set_position(done);
    }

    /// A new total (known once the work has begun).
    pub fn set_total(&self, total: u64) {
        self.bar.set_length(total);
    }

    /// `rows` of `part` so far (a counter).
    pub fn part(&self, part: &str, rows: u64) {
        if self.bar.message() != part {
            self.bar.set_message(part.to_owned());
        }
        self.bar.set_position(rows);
    }

    /// Clears the bar, so the summary lines follow on a clean line.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if !self.bar.is_finished() {
            self.bar.finish_and_clear();
        }
    }
}

fn target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}
