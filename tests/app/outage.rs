//! PostgreSQL going away under a running instance (restarted, say): `/readyz` answers 503 within
//! seconds, visitors get 503 (never a 500) or a page from the cache, and once the database is
//! back everything works again without a restart. SQLite is a file inside the process and cannot
//! go away like this: this test is PostgreSQL's alone, and runs when `TEST_POSTGRES_URL` is set.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::{Duration, Instant};

use galley::config::Config;

use crate::common::fixtures::page;
use crate::common::proxy::Proxy;
use crate::common::{TestApp, TestDb};

/// The `host:port` of a PostgreSQL URL (5432 when it names none).
fn authority(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let host_port = rest.split('/').next().unwrap_or(rest);
    let host_port = host_port.rsplit_once('@').map_or(host_port, |(_, h)| h);
    if host_port.contains(':') {
        host_port.to_owned()
    } else {
        format!("{host_port}:5432")
    }
}

#[actix_web::test]
async fn a_postgres_outage_is_503_and_recovers_by_itself() {
    let Some(real) = TestDb::postgres() else {
        return;
    };
    let hostport = authority(real.url());
    let target: SocketAddr = hostport.to_socket_addrs().expect("resolve").next().unwrap();
    let proxy = Proxy::start(target);
    let proxied = real
        .url()
        .replacen(&hostport, &format!("127.0.0.1:{}", proxy.port), 1);
    let app = TestApp::with_config(TestDb::Borrowed(proxied), Config::for_database("")).await;
    page("first", "First").create(&app).await;
    page("second", "Second")
        .body("Words to find.")
        .create(&app)
        .await;
    assert_eq!(app.get("/readyz").await.status, 200);
    assert_eq!(app.get("/first").await.status, 200);

    proxy.cut();
    let asked = Instant::now();
    assert_eq!(app.get("/readyz").await.status, 503);
    assert!(
        asked.elapsed() < Duration::from_secs(5),
        "readiness answers quickly"
    );
    // Each waits for the pool's connection timeout: a few paths, not every one.
    for path in ["/second", "/search?q=words", "/login"] {
        let res = app.get(path).await;
        assert_ne!(res.status, 500, "{path} during the outage");
        if path == "/second" {
            assert_eq!(res.status, 503, "a page not in the cache");
            assert!(
                res.body.contains("try again"),
                "the error page says what to do"
            );
        }
    }
    assert_eq!(
        app.get("/first").await.status,
        200,
        "a cached page is still served"
    );

    proxy.restore();
    let deadline = Instant::now() + Duration::from_secs(30);
    while app.get("/readyz").await.status != 200 {
        assert!(Instant::now() < deadline, "never ready again");
        actix_web::rt::time::sleep(Duration::from_millis(200)).await;
    }
    let second = app.get("/second").await;
    assert_eq!(second.status, 200);
    assert!(second.body.contains("Words to find."));
    drop(app);
    drop(real);
}
