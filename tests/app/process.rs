//! The binary as a process: stopped with SIGTERM while requests are in flight (each gets its
//! answer, the acknowledged contact message is stored, the process exits 0 having given back its
//! leases, and after a restart the notification is sent exactly once), and its logs as JSON.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use galley::db::schema::{contact_submissions as subs, outbox};

use crate::common::TestApp;
use crate::common::http::{self, free_port};
use crate::common::smtp::SmtpSink;
use crate::db_tests;

db_tests!(
    sigterm_answers_what_is_in_flight_and_sends_nothing_twice,
    json_logs_carry_the_request_id_route_status_and_duration,
    every_response_carries_a_request_id,
);

fn start_server(app: &TestApp, port: u16, smtp: &str) -> Child {
    http::galley_serve(app, port)
        .env("GALLEY_SMTP_URL", smtp)
        .env("GALLEY_NOTIFY_TO", "editors@example.com")
        .env("GALLEY_SHUTDOWN_GRACE", "10")
        .spawn()
        .expect("start galley")
}

fn sigterm(child: &Child) {
    let ok = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill")
        .success();
    assert!(ok, "kill -TERM failed");
}

fn wait_exit(child: &mut Child, within: Duration) -> std::process::ExitStatus {
    let deadline = Instant::now() + within;
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "galley did not exit after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A request whose body is still arriving: the head and the first half of the body are sent,
/// the rest when `finish` is called, and the reply read then.
struct Slow {
    stream: TcpStream,
    rest: String,
}

impl Slow {
    fn start(addr: SocketAddr, path: &str, body: &str) -> Slow {
        let mut stream = TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        let (first, rest) = body.split_at(body.len() / 2);
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\
             Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n{first}",
            body.len()
        );
        stream.write_all(head.as_bytes()).unwrap();
        Slow {
            stream,
            rest: rest.to_owned(),
        }
    }

    fn finish(mut self) -> Option<http::Reply> {
        self.stream.write_all(self.rest.as_bytes()).ok()?;
        http::read_reply(&mut self.stream)
    }
}

async fn sigterm_answers_what_is_in_flight_and_sends_nothing_twice(app: TestApp) {
    let sink = SmtpSink::start(0);
    let port = free_port();
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let mut server = start_server(&app, port, &sink.url());
    http::wait_ready(addr);

    // A visitor who took their time over the contact form, and a search sent slowly.
    let form = http::send(addr, "GET", "/contact", &[], "").expect("the form");
    let token = http::form_token(&form.body).expect("a form token");
    std::thread::sleep(Duration::from_secs(
        galley::contact::token::MIN_AGE_SECONDS as u64 + 1,
    ));
    let message = serde_urlencoded::to_string([
        ("name", "Patient visitor"),
        ("email", "visitor@example.com"),
        ("subject", "shutdown"),
        ("message", "Sent while the server was stopping."),
        ("form_token", token.as_str()),
    ])
    .unwrap();
    let contact = Slow::start(addr, "/contact", &message);
    let other = Slow::start(addr, "/contact", "name=x&email=bad");
    std::thread::sleep(Duration::from_millis(300));
    sigterm(&server);
    std::thread::sleep(Duration::from_millis(500));
    let contact = contact.finish().expect("an answer for the contact message");
    assert_eq!(contact.status, 303, "the message is acknowledged");
    let other = other.finish().expect("an answer for the other request");
    assert_eq!(other.status, 422, "the invalid form is answered too");
    // The listener is closed: nothing new is accepted.
    let status = wait_exit(&mut server, Duration::from_secs(20));
    assert!(status.success(), "exit status {status:?}");
    assert!(
        TcpStream::connect(addr).is_err(),
        "still accepting after it stopped"
    );

    let stored: Vec<String> = app
        .with_conn(|c| subs::table.select(subs::name).load(c).unwrap())
        .await;
    assert_eq!(stored, ["Patient visitor"]);
    let held: i64 = app
        .with_conn(|c| {
            outbox::table
                .filter(outbox::locked_until.is_not_null())
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(held, 0, "no lease is left behind");

    // After a restart, the notification goes out once: before the stop or after, not both.
    let mut server = start_server(&app, port, &sink.url());
    http::wait_ready(addr);
    let deadline = Instant::now() + Duration::from_secs(20);
    while sink.messages().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    // Two more polls of the outbox worker, for a second copy to show up if it were to.
    std::thread::sleep(Duration::from_secs(11));
    sigterm(&server);
    assert!(wait_exit(&mut server, Duration::from_secs(20)).success());
    let sent = sink.messages();
    assert_eq!(sent.len(), 1, "sent exactly once: {sent:?}");
    assert!(sent[0].contains("Sent while the server was stopping."));
}

async fn json_logs_carry_the_request_id_route_status_and_duration(app: TestApp) {
    let (port, metrics_port) = (free_port(), free_port());
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    let metrics: SocketAddr = format!("127.0.0.1:{metrics_port}").parse().unwrap();
    let mut server = http::galley_serve(&app, port)
        .env("GALLEY_LOG_FORMAT", "json")
        .env("GALLEY_METRICS_BIND", metrics.to_string())
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .spawn()
        .expect("start galley");
    http::wait_ready(addr);
    let reply = http::send(addr, "GET", "/contact", &[("X-Request-Id", "trace-42")], "");
    assert_eq!(reply.map(|r| r.status), Some(200));
    http::send(addr, "GET", "/no/such/page?secret=1", &[], "");
    // The metrics listen apart; the public port has no /metrics.
    let scraped = http::send(metrics, "GET", "/metrics", &[], "").expect("a scrape");
    assert_eq!(scraped.status, 200);
    assert!(
        scraped
            .body
            .contains("galley_http_requests_total{method=\"GET\",route=\"/contact\"")
    );
    let public = http::send(addr, "GET", "/metrics", &[], "").expect("an answer");
    assert_eq!(public.status, 404);
    sigterm(&server);
    assert!(wait_exit(&mut server, Duration::from_secs(20)).success());
    let mut stderr = String::new();
    std::io::Read::read_to_string(&mut server.stderr.take().unwrap(), &mut stderr).unwrap();
    let lines: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .all(|l| l["time"].is_string() && l["level"].is_string())
    );
    let access = |id: &str| {
        lines
            .iter()
            .find(|l| l["target"] == "galley::access" && l["request_id"] == id)
            .cloned()
    };
    let contact = access("trace-42").expect("the access line of the request");
    assert_eq!(contact["route"], "/contact");
    assert_eq!(contact["status"], 200);
    assert_eq!(contact["method"], "GET");
    assert!(contact["duration_ms"].as_f64().is_some_and(|d| d >= 0.0));
    let missing = lines
        .iter()
        .find(|l| l["target"] == "galley::access" && l["status"] == 404)
        .expect("the 404's access line");
    assert_eq!(
        missing["route"], "page",
        "a route pattern, not the raw path"
    );
    assert_eq!(missing["path"], "/no/such/page", "no query string");
    assert!(!stderr.contains("secret=1"));
    assert!(
        lines
            .iter()
            .any(|l| l["message"].as_str().is_some_and(|m| m.contains("stopped"))),
        "the wind-down is logged"
    );
}

async fn every_response_carries_a_request_id(app: TestApp) {
    let res = app.get("/").await;
    let made = res.header("x-request-id").to_owned();
    assert!(!made.is_empty());
    assert_ne!(
        app.get("/").await.header("x-request-id"),
        made,
        "one per request"
    );
    let given = app
        .request(
            actix_web::test::TestRequest::get()
                .uri("/")
                .insert_header(("X-Request-Id", "lb-7f3a")),
        )
        .await;
    assert_eq!(
        given.header("x-request-id"),
        "lb-7f3a",
        "a proxy's id is kept"
    );
    let odd = app
        .request(
            actix_web::test::TestRequest::get()
                .uri("/")
                .insert_header(("X-Request-Id", "<script>")),
        )
        .await;
    assert_ne!(odd.header("x-request-id"), "<script>");
    assert!(
        !app.get("/no-such-page")
            .await
            .header("x-request-id")
            .is_empty()
    );
}
