//! The binary killed with SIGKILL while visitors send the contact form: after a restart, every
//! message a visitor was thanked for is in the database.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::process::Child;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use galley::db::schema::contact_submissions as subs;

use crate::common::TestApp;
use crate::common::http::{self, free_port};
use crate::db_tests;

db_tests!(acknowledged_messages_survive_a_sigkill);

fn start_server(app: &TestApp, port: u16) -> Child {
    http::galley_serve(app, port)
        // Each post claims its own address, so the per-address rate limit stays out of the way.
        .env("GALLEY_TRUST_PROXY", "true")
        .spawn()
        .expect("start galley")
}

/// One visitor's loop: fetch the form, send it, note the message if the reply thanked them.
fn visitor(addr: SocketAddr, id: usize, stop: &AtomicBool, thanked: &Mutex<Vec<String>>) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let Some(token) =
            http::send(addr, "GET", "/contact", &[], "").and_then(|r| http::form_token(&r.body))
        else {
            std::thread::sleep(Duration::from_millis(20));
            continue;
        };
        let name = format!("Visitor {id}-{n}");
        let body = serde_urlencoded::to_string([
            ("name", name.as_str()),
            ("email", "visitor@example.com"),
            ("subject", "crash test"),
            ("message", "Please keep this message."),
            ("form_token", token.as_str()),
        ])
        .unwrap();
        let ip = format!("10.{id}.{}.{}", n / 250, n % 250);
        let reply = http::send(
            addr,
            "POST",
            "/contact",
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("X-Forwarded-For", &ip),
            ],
            &body,
        );
        if reply.is_some_and(|r| r.status == 303) {
            thanked.lock().unwrap().push(name);
        }
    }
}

async fn acknowledged_messages_survive_a_sigkill(app: TestApp) {
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start_server(&app, port);
    http::wait_ready(addr);

    let stop = Arc::new(AtomicBool::new(false));
    let thanked = Arc::new(Mutex::new(Vec::new()));
    let visitors: Vec<_> = (0..6)
        .map(|id| {
            let (stop, thanked) = (Arc::clone(&stop), Arc::clone(&thanked));
            std::thread::spawn(move || visitor(addr, id, &stop, &thanked))
        })
        .collect();
    // Kill it mid-stream, once a good number of messages went through.
    let deadline = Instant::now() + Duration::from_secs(30);
    while thanked.lock().unwrap().len() < 150 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    server.kill().expect("SIGKILL");
    server.wait().ok();
    let at_kill = thanked.lock().unwrap().len();
    // Posts in flight at the moment of the kill either got their answer or none at all.
    std::thread::sleep(Duration::from_millis(300));
    stop.store(true, Ordering::Relaxed);
    for v in visitors {
        v.join().expect("visitor thread");
    }

    let mut server = start_server(&app, port);
    http::wait_ready(addr);
    let rows: Vec<String> = app
        .with_conn(|c| subs::table.select(subs::name).load::<String>(c).unwrap())
        .await;
    let stored: HashSet<String> = rows.iter().cloned().collect();
    server.kill().ok();
    server.wait().ok();

    let thanked = thanked.lock().unwrap().clone();
    let missing: Vec<&String> = thanked.iter().filter(|n| !stored.contains(*n)).collect();
    eprintln!(
        "crash test: {} acknowledged ({at_kill} when killed), {} stored, {} missing",
        thanked.len(),
        stored.len(),
        missing.len()
    );
    assert!(
        thanked.len() >= 50,
        "the server was loaded when it was killed"
    );
    assert!(missing.is_empty(), "acknowledged but lost: {missing:?}");
    assert_eq!(rows.len(), stored.len(), "no message stored twice");
}
