//! A minimal HTTP/1.1 client over a plain TCP socket, for tests against a real listener (the
//! binary, or the app served on a loopback port): one request per connection.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

pub struct Reply {
    pub status: u16,
    pub body: String,
}

/// Sends `method path` with `headers` and `body`; `None` when the connection failed (a server
/// that is down, or was killed mid-request).
pub fn send(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> Option<Reply> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    let mut req = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    if !body.is_empty() || method == "POST" {
        req.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    req.push_str("\r\n");
    req.push_str(body);
    stream.write_all(req.as_bytes()).ok()?;
    read_reply(&mut stream)
}

/// Reads one whole response (the server closes the connection after it).
pub fn read_reply(stream: &mut TcpStream) -> Option<Reply> {
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some(Reply {
        status,
        body: body.to_owned(),
    })
}

/// A free loopback port (bound, then released for the server to take).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// `galley serve` on `127.0.0.1:port` against the test's database, quiet, without the demo site;
/// a test adds its own settings to the command.
pub fn galley_serve(app: &super::TestApp, port: u16) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_galley"));
    command
        .arg("serve")
        .env("DATABASE_URL", app.db.url())
        .env("GALLEY_BIND", format!("127.0.0.1:{port}"))
        .env("GALLEY_DEMO", "false")
        .env(
            "GALLEY_SECRET_KEY",
            app.config.secret_key.as_deref().unwrap_or_default(),
        )
        .env("GALLEY_WORKERS", "2")
        .env("RUST_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    command
}

/// Waits (up to a minute) until the server at `addr` answers `/readyz` with 200.
pub fn wait_ready(addr: SocketAddr) {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::time::Instant::now() < deadline {
        if send(addr, "GET", "/readyz", &[], "").is_some_and(|r| r.status == 200) {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("galley did not become ready on {addr}");
}

/// The contact form's token in a page.
pub fn form_token(body: &str) -> Option<String> {
    let marker = "name=\"form_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = start + body[start..].find('"')?;
    Some(body[start..end].to_owned())
}
