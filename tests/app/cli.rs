//! The `galley` command as an operator uses it: users, import and export.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use crate::common::TestApp;
use crate::db_tests;

db_tests!(
    user_commands,
    import_command_reports_bad_files_and_exits_non_zero,
    command_line_writes_are_audited,
    backup_and_restore_commands,
);

fn galley(app: &TestApp, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_galley"))
        .args(args)
        .env("DATABASE_URL", app.db.url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run galley");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(out: &[u8]) -> String {
    String::from_utf8_lossy(out).into_owned()
}

async fn user_commands(app: TestApp) {
    let out = galley(
        &app,
        &["user", "add", "Editor@Example.com", "--role", "editor"],
        "a long enough secret\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("editor@example.com"));
    assert!(
        !text(&out.stdout).contains("a long enough secret"),
        "passwords are never echoed"
    );

    let out = galley(
        &app,
        &["user", "add", "writer@example.com", "--role", "author"],
        "a long enough secret\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("writer@example.com (author)"));

    let user = app
        .with_conn(|c| {
            galley::accounts::users::find_by_email(c, "editor@example.com")
                .unwrap()
                .unwrap()
        })
        .await;
    assert!(galley::accounts::password::verify(
        "a long enough secret",
        &user.password_hash
    ));

    let out = galley(
        &app,
        &["user", "add", "editor@example.com"],
        "another secret!!\n",
    );
    assert!(!out.status.success(), "duplicate e-mail is refused");
    let out = galley(&app, &["user", "add", "x@example.com"], "short\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least"),
        "{}",
        text(&out.stderr)
    );

    let out = galley(
        &app,
        &["user", "passwd", "editor@example.com"],
        "a brand new secret\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let user = app
        .with_conn(|c| {
            galley::accounts::users::find_by_email(c, "editor@example.com")
                .unwrap()
                .unwrap()
        })
        .await;
    assert!(galley::accounts::password::verify(
        "a brand new secret",
        &user.password_hash
    ));
    assert!(!galley::accounts::password::verify(
        "a long enough secret",
        &user.password_hash
    ));

    let out = galley(&app, &["user", "list"], "");
    let list = text(&out.stdout);
    assert!(list.contains("editor@example.com") && list.contains("editor"));
    assert!(list.contains("admin@example.com"), "the first admin");
    assert!(!list.contains("$argon2"), "no hashes printed");
}

async fn import_command_reports_bad_files_and_exits_non_zero(app: TestApp) {
    let src = tempfile::tempdir().unwrap();
    std::fs::write(
        src.path().join("fine.md"),
        "+++\ntitle = \"Fine\"\n+++\nok\n",
    )
    .unwrap();
    std::fs::write(src.path().join("broken.md"), "+++\ntitle = 3\n+++\n").unwrap();
    let dir = src.path().to_string_lossy().into_owned();
    let out = galley(&app, &["import", &dir], "");
    assert!(!out.status.success(), "exit status must report the failure");
    let err = text(&out.stderr);
    assert!(err.contains(&format!("{dir}/broken.md")), "{err}");
    assert!(err.contains("title"), "{err}");
    assert!(
        text(&out.stdout).contains("1 created"),
        "{}",
        text(&out.stdout)
    );

    let out_dir = tempfile::tempdir().unwrap();
    let out = galley(&app, &["export", &out_dir.path().to_string_lossy()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    let exported = std::fs::read_to_string(out_dir.path().join("fine.md")).unwrap();
    assert!(
        exported.starts_with("+++\ntitle = \"Fine\"\n"),
        "{exported}"
    );
    assert!(exported.ends_with("+++\n\nok\n"), "{exported}");
}

/// What `galley user` and `galley import` change is in the audit log, as the command line's.
async fn command_line_writes_are_audited(app: TestApp) {
    let out = galley(
        &app,
        &["user", "add", "ops@example.com", "--role", "admin"],
        "a long enough secret\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let out = galley(
        &app,
        &["user", "passwd", "ops@example.com"],
        "another long secret\n",
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let src = tempfile::tempdir().unwrap();
    std::fs::write(
        src.path().join("imported.md"),
        "+++\ntitle = \"Imported\"\nstatus = \"published\"\n+++\nText.\n",
    )
    .unwrap();
    let out = galley(&app, &["import", &src.path().to_string_lossy()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    // The same import again changes nothing, and so records nothing.
    let out = galley(&app, &["import", &src.path().to_string_lossy()], "");
    assert!(out.status.success(), "{}", text(&out.stderr));

    use diesel::prelude::*;
    use galley::db::schema::audit_log;
    let entries: Vec<(String, String, String, Option<i32>)> = app
        .with_conn(|c| {
            audit_log::table
                .order(audit_log::id.asc())
                .select((
                    audit_log::actor,
                    audit_log::action,
                    audit_log::target,
                    audit_log::user_id,
                ))
                .load(c)
                .unwrap()
        })
        .await;
    let by_cli: Vec<(&str, &str)> = entries
        .iter()
        .filter(|e| e.0 == "command line" && e.3.is_none())
        .map(|e| (e.1.as_str(), e.2.as_str()))
        .collect();
    assert_eq!(
        by_cli,
        [
            ("user.create", "ops@example.com (admin)"),
            ("password.set", "ops@example.com"),
            ("page.import.create", "/imported"),
        ],
        "{entries:?}"
    );
}

/// `galley backup FILE` and `galley restore FILE` (refusing a database that holds a site
/// unless `--force`); on SQLite, `galley backup --sqlite FILE` too.
async fn backup_and_restore_commands(app: TestApp) {
    crate::common::fixtures::page("kept", "Kept")
        .create(&app)
        .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("site.galley");
    let file_arg = file.to_string_lossy().into_owned();
    let out = galley(&app, &["backup", &file_arg], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("pages"), "{}", text(&out.stdout));
    assert!(text(&out.stdout).contains("Wrote"));
    let out = galley(&app, &["restore", &file_arg], "");
    assert!(
        !out.status.success(),
        "a database that holds a site is refused"
    );
    assert!(
        text(&out.stderr).contains("not empty"),
        "{}",
        text(&out.stderr)
    );
    let out = galley(&app, &["restore", &file_arg, "--force"], "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Restored"));
    let truncated = dir.path().join("cut.galley");
    let bytes = std::fs::read(&file).unwrap();
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).unwrap();
    let out = galley(
        &app,
        &["restore", &truncated.to_string_lossy(), "--force"],
        "",
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("nothing was restored"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        app.get("/kept").await.status,
        200,
        "the site is as it was after a refused restore"
    );
    let copy = dir.path().join("copy.db");
    let out = galley(&app, &["backup", "--sqlite", &copy.to_string_lossy()], "");
    if app.db.url().starts_with("postgres") {
        assert!(!out.status.success(), "--sqlite is for SQLite");
    } else {
        assert!(out.status.success(), "{}", text(&out.stderr));
        let pool = galley::db::connect(&copy.to_string_lossy(), 1).unwrap();
        let pages = galley::archive::columns::count(&mut pool.get().unwrap(), "pages").unwrap();
        assert_eq!(pages, 1, "the copy holds the site");
    }
}
