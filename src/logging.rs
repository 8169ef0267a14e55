//! The process's logger: `env_logger`'s filter (`RUST_LOG`), written as text or, with
//! `GALLEY_LOG_FORMAT=json`, as one JSON object a line for log pipelines. actix's reports of
//! malformed requests (anyone can send those, as fast as they like) are demoted from errors to
//! debug lines.

use std::io::Write;

use log::Log;

/// Where the access log goes (`RUST_LOG=galley::access=warn` turns it off).
pub const ACCESS: &str = "galley::access";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "text" => Some(Format::Text),
            "json" => Some(Format::Json),
            _ => None,
        }
    }
}

struct Logger {
    inner: env_logger::Logger,
    format: Format,
}

/// actix-http reports a request it could not parse as "stream error: ..." (our own faults under
/// that target, a failing response body say, keep their level).
fn demoted(record: &log::Record) -> bool {
    record.level() == log::Level::Error
        && record.target() == "actix_http::h1::dispatcher"
        && record.args().as_str().map_or_else(
            || record.args().to_string().starts_with("stream error"),
            |s| s.starts_with("stream error"),
        )
}

/// One JSON line for `record`. An access-log record's message is already a JSON object of the
/// request's fields (`web::access_log`): they become fields of the line.
pub fn json_line(record: &log::Record, level: log::Level, time: &str) -> String {
    let mut line = serde_json::Map::new();
    line.insert("time".into(), time.into());
    line.insert("level".into(), level.as_str().into());
    line.insert("target".into(), record.target().into());
    let message = record.args().to_string();
    match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(&message) {
        Ok(fields) if record.target() == ACCESS => line.extend(fields),
        _ => {
            line.insert("message".into(), message.into());
        }
    }
    serde_json::Value::Object(line).to_string()
}

impl Logger {
    fn write(&self, record: &log::Record, level: log::Level) {
        match self.format {
            Format::Text => self.inner.log(record),
            Format::Json => {
                let time = chrono::Utc::now()
                    .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string();
                let line = json_line(record, level, &time);
                let _ = writeln!(std::io::stderr().lock(), "{line}");
            }
        }
    }
}

impl log::Log for Logger {
    fn enabled(&self, metadata: &log::Metadata) -> bool {
        self.inner.enabled(metadata)
    }

    fn log(&self, record: &log::Record) {
        if !demoted(record) {
            if self.inner.matches(record) {
                self.write(record, record.level());
            }
            return;
        }
        let metadata = log::Metadata::builder()
            .level(log::Level::Debug)
            .target(record.target())
            .build();
        if self.inner.enabled(&metadata) {
            let demoted = log::Record::builder()
                .metadata(metadata)
                .args(*record.args())
                .module_path(record.module_path())
                .file(record.file())
                .line(record.line())
                .build();
            self.write(&demoted, log::Level::Debug);
        }
    }

    fn flush(&self) {
        self.inner.flush();
    }
}

/// Installs the logger (once; later calls do nothing).
pub fn init(format: Format) {
    let inner =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("info")).build();
    let max = inner.filter();
    if log::set_boxed_logger(Box::new(Logger { inner, format })).is_ok() {
        log::set_max_level(max);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_access_record_becomes_fields_and_others_a_message() {
        let fields = r#"{"request_id":"abc","route":"/admin/pages/{id}","status":200}"#;
        let args = format_args!("{fields}");
        let record = log::Record::builder()
            .target(ACCESS)
            .level(log::Level::Info)
            .args(args)
            .build();
        let line: serde_json::Value =
            serde_json::from_str(&json_line(&record, log::Level::Info, "t")).unwrap();
        assert_eq!(line["route"], "/admin/pages/{id}");
        assert_eq!(line["status"], 200);
        assert_eq!(line["level"], "INFO");
        assert!(line.get("message").is_none());
        let args = format_args!("a \"quoted\"\nmessage");
        let record = log::Record::builder()
            .target("galley")
            .level(log::Level::Warn)
            .args(args)
            .build();
        let text = json_line(&record, log::Level::Warn, "t");
        assert!(!text.contains('\n'), "one line");
        let line: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(line["message"], "a \"quoted\"\nmessage");
    }
}
