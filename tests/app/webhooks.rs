//! Webhooks as an integration hears them: endpoints added on the admin screen (the secret shown
//! once), events queued in the change's own transaction, every delivery signed and received by
//! a real HTTP server on a loopback port, retries with a doubling delay, a 410 that turns the
//! endpoint off, "send again", no delivery sent twice by two workers, private addresses
//! refused after resolution, scheduled pages announced once when their time comes.

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use galley::accounts::users::Role;
use galley::audit::Actor;
use galley::content::editing;
use galley::content::pages::Status;
use galley::db::schema::{audit_log, webhook_deliveries as deliveries, webhooks};
use galley::webhooks::deliveries::MAX_ATTEMPTS;
use galley::webhooks::endpoints::{self, NewWebhook};
use galley::webhooks::worker::{self, Context};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::common::TestApp;
use crate::common::fixtures::page;
use crate::db_tests;

db_tests!(
    the_screen_adds_endpoints_and_shows_the_secret_once,
    every_delivery_is_signed_and_carries_the_object,
    failures_are_retried_then_given_up_and_a_410_turns_the_endpoint_off,
    two_workers_never_send_a_delivery_twice,
    private_addresses_are_refused_after_resolution,
    scheduled_pages_are_announced_once_when_their_time_comes,
    moves_restores_and_inbox_decisions_are_announced,
);

/// What the receiver got: headers (lower-case names) and body.
#[derive(Clone, Debug)]
struct Received {
    headers: HashMap<String, String>,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A real HTTP server on a loopback port that records each request and answers with the next
/// queued status (200 once the queue is empty).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    statuses: Arc<Mutex<VecDeque<u16>>>,
}

impl Receiver {
    fn start() -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!(
            "http://{}/hooks/galley?site=test",
            listener.local_addr().unwrap()
        );
        let got = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(VecDeque::new()));
        let (g, s) = (Arc::clone(&got), Arc::clone(&statuses));
        std::thread::spawn(move || {
            for conn in listener.incoming() {
                let Ok(mut conn) = conn else { return };
                let mut reader = BufReader::new(conn.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                assert!(
                    line.starts_with("POST /hooks/galley?site=test HTTP/1.1"),
                    "{line}"
                );
                let mut headers = HashMap::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(": ").unwrap();
                    headers.insert(k.to_ascii_lowercase(), v.to_owned());
                }
                let len: usize = headers["content-length"].parse().unwrap();
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let status = s.lock().unwrap().pop_front().unwrap_or(200);
                g.lock().unwrap().push(Received {
                    headers,
                    body: String::from_utf8(body).unwrap(),
                });
                let _ = write!(
                    conn,
                    "HTTP/1.1 {status} Whatever\r\nContent-Length: 0\r\n\r\n"
                );
            }
        });
        Receiver { url, got, statuses }
    }

    fn answer(&self, statuses: &[u16]) {
        self.statuses.lock().unwrap().extend(statuses);
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

fn context(app: &TestApp, allow_private: bool) -> Context {
    Context {
        allow_private,
        ..Context::of(&app.state)
    }
}

/// Adds an endpoint for `events` (all of them when empty); its id and secret.
async fn endpoint(app: &TestApp, url: &str, events: &[&str]) -> (i32, String) {
    let events = if events.is_empty() {
        galley::events::EVENTS.to_vec()
    } else {
        events.to_vec()
    };
    let new = NewWebhook {
        url: url.to_owned(),
        events: events.iter().map(|e| (*e).to_owned()).collect(),
    };
    let sealer = app.state.sealer.clone();
    app.with_conn(move |c| {
        endpoints::create(
            c,
            &sealer,
            &new,
            &Actor::first_start(),
            galley::clock::now(),
        )
        .unwrap()
    })
    .await
}

/// The `v1` part of a `Galley-Signature` header, checked against the secret: panics otherwise.
fn verify(secret: &str, r: &Received) {
    let header = &r.headers["galley-signature"];
    let (t, v1) = header
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("{header}"));
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", r.body).as_bytes());
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, want, "the signature of {}", r.body);
    let sent: i64 = t.parse().unwrap();
    assert!((galley::clock::now().and_utc().timestamp() - sent).abs() < 3600);
}

async fn queued(app: &TestApp) -> Vec<(String, i32, i32)> {
    app.with_conn(|c| {
        deliveries::table
            .order(deliveries::id)
            .select((
                deliveries::event,
                deliveries::object_id,
                deliveries::attempts,
            ))
            .load(c)
            .unwrap()
    })
    .await
}

async fn send_due(app: &TestApp, cx: &Context, now: NaiveDateTime) -> usize {
    worker::run_once(app.pool(), cx, now).await.unwrap()
}

fn editor() -> Actor {
    Actor {
        user_id: None,
        name: "an editor".into(),
        ip: String::new(),
    }
}

async fn the_screen_adds_endpoints_and_shows_the_secret_once(app: TestApp) {
    let mut editor = app.signed_in("ed@example.com", Role::Editor).await;
    assert_eq!(editor.get("/admin/webhooks").await.status, 403);
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    let res = admin.get("/admin/webhooks").await;
    assert_eq!(res.status, 200);
    assert_eq!(res.header("cache-control"), "no-store");
    for event in galley::events::EVENTS {
        assert!(
            res.body
                .contains(&format!("name=\"events\" value=\"{event}\"")),
            "{event}"
        );
    }

    // Refused, values kept, each error by its field.
    let res = admin
        .post("/admin/webhooks", &[("url", "not an address")])
        .await;
    assert_eq!(res.status, 422, "{}", res.body);
    assert!(res.body.contains("id=\"url-error\""));
    assert!(res.body.contains("id=\"events-error\""));
    assert!(res.body.contains("value=\"not an address\""));
    let res = admin
        .post(
            "/admin/webhooks",
            &[
                ("url", "http://127.0.0.1:9/hook"),
                ("events", "page.published"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("loopback"), "{}", res.body);
    assert!(res.body.contains("value=\"page.published\" checked"));
    let res = admin
        .post(
            "/admin/webhooks",
            &[
                ("url", "https://hooks.example.com/x"),
                ("events", "page.nonsense"),
            ],
        )
        .await;
    assert_eq!(res.status, 422);
    assert!(res.body.contains("id=\"events-error\""));
    // No CSRF token, no endpoint.
    let res = admin
        .post(
            "/admin/webhooks",
            &[
                ("url", "https://hooks.example.com/x"),
                ("events", "page.published"),
                ("csrf_token", "forged"),
            ],
        )
        .await;
    assert_eq!(res.status, 403);

    let res = admin
        .post(
            "/admin/webhooks",
            &[
                ("url", "https://hooks.example.com/galley"),
                ("events", "page.published"),
                ("events", "submission.created"),
            ],
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("cache-control"), "no-store");
    let at = res
        .body
        .find("<code id=\"webhook-secret\">")
        .expect("the secret");
    let secret: String = res.body[at + 26..]
        .chars()
        .take_while(|c| *c != '<')
        .collect();
    assert!(
        secret.starts_with("whsec_") && secret.len() > 60,
        "{secret}"
    );
    let (sealed, events): (String, String) = app
        .with_conn(|c| {
            webhooks::table
                .select((webhooks::secret_sealed, webhooks::events))
                .first(c)
                .unwrap()
        })
        .await;
    assert!(!sealed.contains(&secret[6..]), "the secret is sealed");
    assert_eq!(events, "page.published submission.created");
    let res = admin.get("/admin/webhooks").await;
    assert!(res.body.contains("https://hooks.example.com/galley"));
    assert!(!res.body.contains(&secret), "shown once");
    let audited: Vec<String> = app
        .with_conn(|c| {
            audit_log::table
                .filter(audit_log::action.like("webhook.%"))
                .select(audit_log::action)
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(audited, ["webhook.create"]);
    assert!(
        !app.with_conn(|c| {
            audit_log::table
                .select(audit_log::target)
                .load::<String>(c)
                .unwrap()
        })
        .await
        .iter()
        .any(|d| d.contains(&secret))
    );

    // Off, on, deleted, each from the endpoint's page.
    let id: i32 = app
        .with_conn(|c| webhooks::table.select(webhooks::id).first(c).unwrap())
        .await;
    let res = admin.get(&format!("/admin/webhooks/{id}")).await;
    assert_eq!(res.status, 200);
    assert!(res.body.contains("Nothing sent yet."));
    let res = admin
        .post(&format!("/admin/webhooks/{id}/disable"), &[])
        .await;
    assert_eq!(res.status, 303);
    let res = admin.get(&format!("/admin/webhooks/{id}")).await;
    assert!(
        res.body.contains("off: Turned off by boss@example.com."),
        "{}",
        res.body
    );
    admin
        .post(&format!("/admin/webhooks/{id}/enable"), &[])
        .await;
    let res = admin.get(&format!("/admin/webhooks/{id}")).await;
    assert!(res.body.contains("<dd id=\"webhook-state\">on</dd>"));
    assert_eq!(
        admin.post("/admin/webhooks/999/disable", &[]).await.status,
        404
    );
    let res = admin
        .post(&format!("/admin/webhooks/{id}/delete"), &[])
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(
        admin.get(&format!("/admin/webhooks/{id}")).await.status,
        404
    );
}

async fn every_delivery_is_signed_and_carries_the_object(app: TestApp) {
    let receiver = Receiver::start();
    let (_, secret) = endpoint(&app, &receiver.url, &[]).await;
    let cx = context(&app, true);
    let hub = page("guides", "Guides").create(&app).await;
    let input = page("tea", "Tea")
        .under(&hub)
        .body("## Brewing\n\nHot water.\n\n## Serving\n\nIn cups.\n\n## Keeping\n\nDry.")
        .input();
    let saved = app
        .with_conn(move |c| editing::save(c, None, &input, None, &editor(), "").unwrap())
        .await;
    assert_eq!(
        queued(&app).await,
        [
            ("page.published".into(), hub.id, 0),
            ("page.published".into(), saved.id, 0)
        ],
        "queued with the saves"
    );
    // A save that fails (the address is taken) queues nothing.
    let taken = page("tea", "Tea again").under(&hub).input();
    app.with_conn(move |c| editing::save(c, None, &taken, None, &editor(), "").unwrap_err())
        .await;
    assert_eq!(queued(&app).await.len(), 2);

    // Sent as the worker sends them, within seconds: each document is written when first sent.
    assert_eq!(send_due(&app, &cx, galley::clock::now()).await, 2);
    let mut changed = saved.to_input();
    changed.title = "Tea, brewed".into();
    let saved = app
        .with_conn(move |c| {
            editing::save(c, Some(saved.id), &changed, None, &editor(), "").unwrap()
        })
        .await;
    let mut off = saved.to_input();
    off.status = Status::Draft;
    let id = saved.id;
    app.with_conn(move |c| editing::save(c, Some(id), &off, None, &editor(), "").unwrap())
        .await;
    assert_eq!(send_due(&app, &cx, galley::clock::now()).await, 2);
    app.with_conn(move |c| editing::delete_page(c, id, None, &editor()).unwrap())
        .await;
    let nonce = galley::tokens::random_token();
    app.with_conn(move |c| {
        let new = galley::contact::submissions::NewSubmission {
            name: "Ada".into(),
            email: "ada@example.com".into(),
            subject: "Hello".into(),
            message: "A question.".into(),
            ip: "192.0.2.1".into(),
            user_agent: "test".into(),
            spam_reason: None,
            nonce,
        };
        galley::contact::submissions::store(c, &new, None, galley::clock::now()).unwrap()
    })
    .await;

    assert_eq!(send_due(&app, &cx, galley::clock::now()).await, 2);
    let got = receiver.got();
    let events: Vec<String> = got
        .iter()
        .map(|r| r.json()["event"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        events,
        [
            "page.published",
            "page.published",
            "page.updated",
            "page.unpublished",
            "page.deleted",
            "submission.created"
        ]
    );
    let mut ids = std::collections::HashSet::new();
    for r in &got {
        verify(&secret, r);
        let doc = r.json();
        assert_eq!(
            r.headers["galley-delivery"],
            doc["delivery_id"].as_str().unwrap()
        );
        assert_eq!(r.headers["galley-event"], doc["event"].as_str().unwrap());
        assert_eq!(r.headers["content-type"], "application/json");
        assert!(ids.insert(doc["delivery_id"].as_str().unwrap().to_owned()));
        assert!(chrono::DateTime::parse_from_rfc3339(doc["time"].as_str().unwrap()).is_ok());
    }
    // The object as the read API shows it (with a pages:read token: drafts too).
    let published = got[1].json();
    let data = &published["data"];
    assert_eq!(data["id"], id);
    assert_eq!(data["path"], "/guides/tea");
    assert!(data["html"].as_str().unwrap().contains("Hot water."));
    assert_eq!(data["breadcrumbs"][0]["path"], "/guides");
    assert_eq!(data["toc"][0]["text"], "Brewing");
    assert!(data.get("body_md").is_none() && !published.to_string().contains("@"));
    assert_eq!(
        got[2].json()["data"]["status"],
        "draft",
        "written when first sent"
    );
    assert_eq!(got[4].json()["data"]["status"], "deleted");
    assert_eq!(got[4].json()["data"]["path"], "/guides/tea");
    assert_eq!(got[5].json()["data"]["email"], "ada@example.com");
    // Sent once: nothing is due any more, and the log says delivered.
    assert_eq!(send_due(&app, &cx, galley::clock::now()).await, 0);
    assert!(
        queued(&app)
            .await
            .iter()
            .all(|(_, _, attempts)| *attempts == 1)
    );
    let states: Vec<Option<NaiveDateTime>> = app
        .with_conn(|c| {
            deliveries::table
                .select(deliveries::delivered_at)
                .load(c)
                .unwrap()
        })
        .await;
    assert!(states.iter().all(Option::is_some));
}

async fn failures_are_retried_then_given_up_and_a_410_turns_the_endpoint_off(app: TestApp) {
    let receiver = Receiver::start();
    let (hook, secret) = endpoint(&app, &receiver.url, &["page.published", "page.updated"]).await;
    let cx = context(&app, true);
    page("a", "A").create(&app).await;
    let t0 = galley::clock::now();
    receiver.answer(&[500, 503]);
    assert_eq!(send_due(&app, &cx, t0).await, 0);
    assert_eq!(
        send_due(&app, &cx, t0 + Duration::seconds(30)).await,
        0,
        "not due yet"
    );
    assert_eq!(receiver.got().len(), 1);
    assert_eq!(send_due(&app, &cx, t0 + Duration::seconds(41)).await, 0);
    assert_eq!(
        send_due(&app, &cx, t0 + Duration::seconds(120)).await,
        0,
        "80 s after"
    );
    assert_eq!(send_due(&app, &cx, t0 + Duration::seconds(122)).await, 1);
    let got = receiver.got();
    assert_eq!(got.len(), 3);
    assert_eq!(got[0].body, got[2].body, "the same document each time");
    for r in &got {
        verify(&secret, r);
    }

    // The delivery log: status, duration, error, attempts.
    let mut admin = app.signed_in("boss@example.com", Role::Admin).await;
    let res = admin.get(&format!("/admin/webhooks/{hook}")).await;
    assert!(res.body.contains("delivered (3 attempts)"), "{}", res.body);

    // The last attempt fails: given up, shown as failed.
    page("b", "B").create(&app).await;
    app.with_conn(|c| {
        diesel::update(deliveries::table.filter(deliveries::delivered_at.is_null()))
            .set(deliveries::attempts.eq(MAX_ATTEMPTS - 1))
            .execute(c)
            .unwrap()
    })
    .await;
    receiver.answer(&[500]);
    let t1 = galley::clock::now();
    assert_eq!(send_due(&app, &cx, t1).await, 0);
    assert_eq!(receiver.got().len(), 4);
    assert_eq!(
        send_due(&app, &cx, t1 + Duration::days(3)).await,
        0,
        "given up"
    );
    assert_eq!(receiver.got().len(), 4);
    let res = admin.get(&format!("/admin/webhooks/{hook}")).await;
    assert!(res.body.contains("failed"), "{}", res.body);
    assert!(
        res.body.contains("the receiver answered 500"),
        "{}",
        res.body
    );

    // Send again: a new delivery (a new id) of the same event.
    let failed: i32 = app
        .with_conn(|c| {
            deliveries::table
                .filter(deliveries::gave_up_at.is_not_null())
                .select(deliveries::id)
                .first(c)
                .unwrap()
        })
        .await;
    let res = admin
        .post(
            &format!("/admin/webhooks/{hook}/deliveries/{failed}/send-again"),
            &[],
        )
        .await;
    assert_eq!(res.status, 303);
    assert_eq!(send_due(&app, &cx, galley::clock::now()).await, 1);
    let last = receiver.got().pop().unwrap();
    verify(&secret, &last);
    let (mut again, mut first) = (last.json(), receiver.got()[3].json());
    assert_eq!(again["event"], "page.published");
    assert_eq!(
        last.headers["galley-delivery"],
        again["delivery_id"].as_str().unwrap()
    );
    assert_ne!(again["delivery_id"], first["delivery_id"], "a new delivery");
    again["delivery_id"] = Value::Null;
    first["delivery_id"] = Value::Null;
    assert_eq!(again, first, "the same document");

    // 410 Gone: the endpoint is turned off, what it still had is given up, nothing more queued.
    page("c", "C").create(&app).await;
    page("d", "D").create(&app).await;
    receiver.answer(&[410]);
    assert_eq!(send_due(&app, &cx, galley::clock::now()).await, 0);
    let (enabled, reason): (bool, String) = app
        .with_conn(move |c| {
            webhooks::table
                .find(hook)
                .select((webhooks::enabled, webhooks::disabled_reason))
                .first(c)
                .unwrap()
        })
        .await;
    assert!(!enabled);
    assert!(reason.contains("410"), "{reason}");
    let sent = receiver.got().len();
    page("e", "E").create(&app).await;
    assert_eq!(
        send_due(&app, &cx, galley::clock::now() + Duration::hours(1)).await,
        0
    );
    assert_eq!(receiver.got().len(), sent);
    let pending: i64 = app
        .with_conn(|c| {
            deliveries::table
                .filter(deliveries::delivered_at.is_null())
                .filter(deliveries::gave_up_at.is_null())
                .count()
                .get_result(c)
                .unwrap()
        })
        .await;
    assert_eq!(pending, 0);
    let res = admin.get(&format!("/admin/webhooks/{hook}")).await;
    assert!(
        res.body.contains("off: The receiver answered 410 Gone."),
        "{}",
        res.body
    );

    // The log keeps finished deliveries for a month.
    let month = galley::clock::now() + Duration::days(31);
    let pruned = app
        .with_conn(move |c| galley::webhooks::deliveries::prune(c, month).unwrap())
        .await;
    assert!(pruned > 0);
    assert!(queued(&app).await.is_empty(), "all of them were finished");
}

async fn two_workers_never_send_a_delivery_twice(app: TestApp) {
    let receiver = Receiver::start();
    endpoint(&app, &receiver.url, &["page.published"]).await;
    for n in 0..12 {
        page(&format!("p{n}"), &format!("P{n}")).create(&app).await;
    }
    let other = TestApp::attach(&app).await;
    let (a, b) = (context(&app, true), context(&other, true));
    let now = galley::clock::now();
    let (x, y) = futures_util::future::join(
        worker::run_once(app.pool(), &a, now),
        worker::run_once(other.pool(), &b, now),
    )
    .await;
    assert_eq!(x.unwrap() + y.unwrap(), 12);
    let ids: std::collections::HashSet<String> = receiver
        .got()
        .iter()
        .map(|r| r.headers["galley-delivery"].clone())
        .collect();
    assert_eq!(receiver.got().len(), 12);
    assert_eq!(ids.len(), 12);

    // A claim holds against a second worker until its lease runs out.
    page("late", "Late").create(&app).await;
    let now = galley::clock::now();
    let first = app
        .with_conn(move |c| galley::webhooks::deliveries::claim_due(c, "worker-a", now).unwrap())
        .await;
    assert!(first.is_some());
    let second = app
        .with_conn(move |c| galley::webhooks::deliveries::claim_due(c, "worker-b", now).unwrap())
        .await;
    assert!(second.is_none());
    let later = now + galley::webhooks::deliveries::LEASE + Duration::seconds(1);
    let taken_over = app
        .with_conn(move |c| galley::webhooks::deliveries::claim_due(c, "worker-b", later).unwrap())
        .await;
    assert_eq!(taken_over.map(|d| d.id), first.map(|d| d.id));
}

async fn private_addresses_are_refused_after_resolution(app: TestApp) {
    let receiver = Receiver::start();
    // "localhost" passes no literal check: only its resolution says where it goes.
    let url = receiver.url.replace("127.0.0.1", "localhost");
    endpoint(&app, &url, &["page.published"]).await;
    page("a", "A").create(&app).await;
    let cx = context(&app, false);
    assert_eq!(send_due(&app, &cx, galley::clock::now()).await, 0);
    assert!(
        receiver.got().is_empty(),
        "nothing reached the loopback receiver"
    );
    let error: String = app
        .with_conn(|c| {
            deliveries::table
                .select(deliveries::last_error)
                .first(c)
                .unwrap()
        })
        .await;
    assert!(error.starts_with("refused: localhost is "), "{error}");
    assert!(
        error.contains("loopback") && error.contains("GALLEY_WEBHOOK_ALLOW_PRIVATE"),
        "{error}"
    );
    // Allowed by the setting (local development), the same delivery goes out on its retry.
    let allowed = context(&app, true);
    let later = galley::clock::now() + Duration::minutes(1);
    assert_eq!(send_due(&app, &allowed, later).await, 1);
    assert_eq!(receiver.got().len(), 1);
}

async fn scheduled_pages_are_announced_once_when_their_time_comes(app: TestApp) {
    let receiver = Receiver::start();
    endpoint(&app, &receiver.url, &["page.published", "page.unpublished"]).await;
    let now = galley::clock::now();
    let soon = now + Duration::minutes(10);
    let later = now + Duration::minutes(30);
    let p = page("news", "News")
        .scheduled(soon)
        .until(later)
        .create(&app)
        .await;
    assert!(queued(&app).await.is_empty(), "not published yet: no event");
    let schedule = |at: NaiveDateTime| {
        let app = &app;
        async move {
            app.with_conn(move |c| galley::content::announce::schedule(c, at).unwrap())
                .await
        }
    };
    assert_eq!(schedule(now + Duration::minutes(5)).await, 0);
    assert_eq!(schedule(soon + Duration::seconds(1)).await, 1);
    assert_eq!(schedule(soon + Duration::seconds(3)).await, 0, "once");
    let other = TestApp::attach(&app).await;
    let again = other
        .with_conn(move |c| {
            galley::content::announce::schedule(c, soon + Duration::seconds(5)).unwrap()
        })
        .await;
    assert_eq!(again, 0, "once, whichever instance looks");
    assert_eq!(schedule(later + Duration::seconds(1)).await, 1);
    assert_eq!(
        queued(&app).await,
        [
            ("page.published".into(), p.id, 0),
            ("page.unpublished".into(), p.id, 0)
        ]
    );
    let cx = context(&app, true);
    assert_eq!(send_due(&app, &cx, later + Duration::seconds(2)).await, 2);
}

async fn moves_restores_and_inbox_decisions_are_announced(app: TestApp) {
    endpoint(&app, "https://hooks.example.com/galley", &[]).await;
    let hub = page("guides", "Guides").create(&app).await;
    let child = page("tea", "Tea").under(&hub).create(&app).await;
    let mut moved = hub.to_input();
    moved.slug = "handbook".into();
    let hub_id = hub.id;
    app.with_conn(move |c| editing::save(c, Some(hub_id), &moved, None, &editor(), "").unwrap())
        .await;
    let events = queued(&app).await;
    assert_eq!(
        events[2..],
        [
            ("page.updated".into(), hub.id, 0),
            ("page.updated".into(), child.id, 0)
        ],
        "the page under it moved too"
    );

    // Scheduled, trashed, restored after its time: announced once, by the restore or the clock.
    let soon = galley::clock::now() + Duration::seconds(2);
    let news = page("news", "News").scheduled(soon).create(&app).await;
    let news_id = news.id;
    let trash_id = app
        .with_conn(move |c| {
            editing::delete_page(c, news_id, None, &editor()).unwrap();
            galley::content::trash::list(c).unwrap()[0].id
        })
        .await;
    std::thread::sleep(std::time::Duration::from_millis(2100));
    app.with_conn(move |c| {
        galley::content::trash::restore(c, trash_id, None, &editor()).unwrap();
        galley::content::announce::schedule(c, galley::clock::now()).unwrap()
    })
    .await;
    let published = queued(&app)
        .await
        .into_iter()
        .filter(|(e, id, _)| e == "page.published" && *id == news_id)
        .count();
    assert_eq!(published, 1);

    // Taken for spam, then marked as not spam: the endpoints hear of it then. Deleted: its
    // copies in the outbox go.
    let nonce = galley::tokens::random_token();
    let stored = app
        .with_conn(move |c| {
            let new = galley::contact::submissions::NewSubmission {
                name: "Ada".into(),
                email: "ada@example.com".into(),
                subject: "Hello".into(),
                message: "Cheap pills".into(),
                ip: "192.0.2.1".into(),
                user_agent: "test".into(),
                spam_reason: Some("links".into()),
                nonce,
            };
            galley::contact::submissions::store(c, &new, None, galley::clock::now()).unwrap()
        })
        .await;
    let galley::contact::submissions::Stored::New { id, .. } = stored else {
        panic!("stored");
    };
    let about_messages = || {
        let app = &app;
        async move {
            app.with_conn(move |c| {
                deliveries::table
                    .filter(deliveries::object_kind.eq("submission"))
                    .count()
                    .get_result::<i64>(c)
                    .unwrap()
            })
            .await
        }
    };
    assert_eq!(about_messages().await, 0, "spam is not announced");
    app.with_conn(move |c| {
        let now = galley::clock::now();
        galley::contact::submissions::set_status(c, id, "new", &editor(), now).unwrap()
    })
    .await;
    assert_eq!(about_messages().await, 1);
    app.with_conn(move |c| {
        galley::contact::submissions::delete(c, id, &editor(), galley::clock::now()).unwrap()
    })
    .await;
    assert_eq!(about_messages().await, 0);
}
