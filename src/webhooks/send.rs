//! One webhook POST: the signature, the address checks and a small HTTP/1.1 client. Written by
//! hand rather than with a client library because each step must be ours to bound: the name is
//! resolved once and every address checked before connecting to exactly that address (a second
//! lookup could answer otherwise), the whole exchange ends after `TIMEOUT`, redirects are an
//! answer like any other (never followed), and only the status line is read.

use std::io::{Read, Write};
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;
use url::{Host, Url};

/// How long a receiver has to answer, connection included.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// The `Galley-Signature` header for `body` sent at unix time `t`: `t=<t>,v1=<hex HMAC-SHA256 of
/// "t.body" keyed with the endpoint's secret>`.
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body.as_bytes());
    format!(
        "t={t},v1={}",
        crate::tokens::hex(&mac.finalize().into_bytes())
    )
}

/// Why a URL cannot be a webhook endpoint, if it cannot (checked when it is added; the
/// addresses it resolves to are checked again at each delivery).
pub fn url_problem(raw: &str, allow_private: bool) -> Option<String> {
    let url = match Url::parse(raw.trim()) {
        Ok(url) => url,
        Err(_) => {
            return Some("Enter a full address, like https://example.com/hooks/galley.".into());
        }
    };
    if !matches!(url.scheme(), "http" | "https") {
        return Some("Use an http:// or https:// address.".into());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Some("Leave the user name and password out of the address: the signature authenticates galley.".into());
    }
    let literal = match url.host() {
        None => return Some("The address needs a host name.".into()),
        Some(Host::Domain(d)) if d.eq_ignore_ascii_case("localhost") => {
            Some(IpAddr::from([127, 0, 0, 1]))
        }
        Some(Host::Domain(_)) => None,
        Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
        Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
    };
    match literal {
        Some(ip) if !allow_private && !is_public(ip) => Some(format!(
            "{ip} is {}: galley does not send webhooks there.",
            kind_of(ip)
        )),
        _ => None,
    }
}

/// Whether `ip` is an address on the public internet (not loopback, private, link-local,
/// shared, multicast, documentation or reserved).
pub fn is_public(ip: IpAddr) -> bool {
    kind_of(ip) == "a public address"
}

fn kind_of(ip: IpAddr) -> &'static str {
    match ip {
        IpAddr::V4(a) => {
            let [first, second, third, _] = a.octets();
            if a.is_loopback() {
                "a loopback address"
            } else if a.is_private() || (first == 100 && (64..128).contains(&second)) {
                "a private address"
            } else if a.is_link_local() {
                "a link-local address"
            } else if a.is_unspecified()
                || a.is_broadcast()
                || a.is_multicast()
                || a.is_documentation()
                || first == 0
                || first >= 240
                || (first == 192 && second == 0 && third == 0)
                || (first == 198 && (18..20).contains(&second))
            {
                "a reserved address"
            } else {
                "a public address"
            }
        }
        IpAddr::V6(a) => {
            let s = a.segments();
            let embedded = |hi: u16, lo: u16| {
                IpAddr::V4(std::net::Ipv4Addr::from(
                    (u32::from(hi) << 16) | u32::from(lo),
                ))
            };
            if let Some(v4) = a.to_ipv4_mapped() {
                return kind_of(IpAddr::V4(v4));
            }
            if a.is_loopback() {
                "a loopback address"
            } else if a.is_unspecified() {
                "a reserved address"
            } else if s[..6] == [0; 6] {
                // IPv4-compatible (`::a.b.c.d`, deprecated): the IPv4 address decides.
                kind_of(embedded(s[6], s[7]))
            } else if s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] {
                // NAT64: reaches the IPv4 address it carries.
                kind_of(embedded(s[6], s[7]))
            } else if s[0] == 0x2002 {
                // 6to4: likewise.
                kind_of(embedded(s[1], s[2]))
            } else if s[0] & 0xfe00 == 0xfc00 || s[0] & 0xffc0 == 0xfec0 {
                "a private address"
            } else if s[0] & 0xffc0 == 0xfe80 {
                "a link-local address"
            } else if a.is_multicast()
                || (s[0] == 0x2001 && s[1] == 0xdb8)
                || (s[0] == 0x2001 && s[1] == 0)
                || s[..4] == [0x100, 0, 0, 0]
            {
                "a reserved address"
            } else {
                "a public address"
            }
        }
    }
}

/// What a receiver answered: its status code.
pub type Answer = Result<u16, String>;

/// POSTs `body` to `url` with `headers`, and reads the status the receiver answers.
pub fn post(url: &str, headers: &[(&str, String)], body: &str, allow_private: bool) -> Answer {
    let deadline = Instant::now() + TIMEOUT;
    let url = Url::parse(url).map_err(|e| format!("bad address: {e}"))?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        other => return Err(format!("{other}: only http and https are sent")),
    };
    let port = url.port_or_known_default().unwrap_or(80);
    let host = url.host_str().ok_or("the address has no host")?.to_owned();
    let addrs = resolve(&url, port, deadline)?;
    let allowed: Vec<SocketAddr> = addrs
        .iter()
        .copied()
        .filter(|a| allow_private || is_public(a.ip()))
        .collect();
    if allowed.is_empty() {
        let ip = addrs[0].ip();
        return Err(format!(
            "refused: {host} is {ip}, {} (GALLEY_WEBHOOK_ALLOW_PRIVATE=true allows it)",
            kind_of(ip)
        ));
    }
    let stream = connect(&allowed, deadline)?;
    // Timeouts on the socket bound each read and write, not their sum: at the deadline the
    // watchdog closes the socket under whatever step is running (TLS handshake included).
    let _watchdog = Watchdog::start(&stream, deadline)?;
    let mut request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\n",
        target(&url),
        host_header(&url)
    );
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str(&format!(
        "Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    ));
    if https {
        let connector = native_tls::TlsConnector::new().map_err(|e| format!("TLS: {e}"))?;
        let name = host.trim_start_matches('[').trim_end_matches(']');
        let tls = connector
            .connect(name, stream)
            .map_err(|e| format!("TLS: {e}"))?;
        exchange(tls, &request, body, deadline)
    } else {
        exchange(stream, &request, body, deadline)
    }
}

/// The addresses of the URL's host: a literal as it is, a name from one lookup.
fn resolve(url: &Url, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, String> {
    let addrs: Vec<SocketAddr> = match url.host() {
        Some(Host::Ipv4(ip)) => vec![SocketAddr::new(IpAddr::V4(ip), port)],
        Some(Host::Ipv6(ip)) => vec![SocketAddr::new(IpAddr::V6(ip), port)],
        Some(Host::Domain(name)) => lookup(name, port, deadline)?,
        None => Vec::new(),
    };
    if addrs.is_empty() {
        return Err("the host name resolves to no address".into());
    }
    Ok(addrs)
}

/// The system resolver has no timeout of its own: it answers on a thread of its own, and a
/// lookup that outlasts the deadline is left to finish there.
fn lookup(name: &str, port: u16, deadline: Instant) -> Result<Vec<SocketAddr>, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    let host = name.to_owned();
    std::thread::spawn(move || {
        let _ = tx.send(
            (host.as_str(), port)
                .to_socket_addrs()
                .map(Iterator::collect),
        );
    });
    match rx.recv_timeout(remaining(deadline)?) {
        Ok(Ok(addrs)) => Ok(addrs),
        Ok(Err(e)) => Err(format!("cannot resolve {name}: {e}")),
        Err(_) => Err(format!(
            "cannot resolve {name} within {} s",
            TIMEOUT.as_secs()
        )),
    }
}

fn remaining(deadline: Instant) -> Result<Duration, String> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("no answer within {} s", TIMEOUT.as_secs()))
}

fn connect(addrs: &[SocketAddr], deadline: Instant) -> Result<TcpStream, String> {
    let mut last = String::new();
    for addr in addrs {
        match TcpStream::connect_timeout(addr, remaining(deadline)?) {
            Ok(stream) => {
                let left = remaining(deadline)?;
                stream
                    .set_read_timeout(Some(left))
                    .and_then(|()| stream.set_write_timeout(Some(left)))
                    .map_err(|e| e.to_string())?;
                return Ok(stream);
            }
            Err(e) => last = format!("cannot connect to {addr}: {e}"),
        }
    }
    Err(last)
}

/// Shuts a connection down at its deadline unless dropped first.
struct Watchdog {
    _done: std::sync::mpsc::Sender<()>,
}

impl Watchdog {
    fn start(stream: &TcpStream, deadline: Instant) -> Result<Watchdog, String> {
        let socket = stream.try_clone().map_err(|e| format!("connection: {e}"))?;
        let (done, wait) = std::sync::mpsc::channel::<()>();
        let left = remaining(deadline)?;
        std::thread::spawn(move || {
            if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) = wait.recv_timeout(left) {
                let _ = socket.shutdown(std::net::Shutdown::Both);
            }
        });
        Ok(Watchdog { _done: done })
    }
}

fn target(url: &Url) -> String {
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_owned(),
    }
}

fn host_header(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_owned(),
    }
}

/// Sends the request and reads the status line (the rest of the answer is not ours to read).
fn exchange(mut stream: impl Read + Write, head: &str, body: &str, deadline: Instant) -> Answer {
    let io = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => {
            format!("no answer within {} s", TIMEOUT.as_secs())
        }
        _ => format!("connection: {e}"),
    };
    stream.write_all(head.as_bytes()).map_err(io)?;
    stream.write_all(body.as_bytes()).map_err(io)?;
    stream.flush().map_err(io)?;
    let mut got = Vec::with_capacity(256);
    let mut buf = [0u8; 256];
    while !got.windows(2).any(|w| w == b"\r\n") {
        remaining(deadline)?;
        let n = stream.read(&mut buf).map_err(io)?;
        if n == 0 {
            return Err("the receiver closed the connection without answering".into());
        }
        got.extend_from_slice(&buf[..n]);
        if got.len() > 8 * 1024 {
            return Err("the answer does not start with an HTTP status line".into());
        }
    }
    let line = String::from_utf8_lossy(&got);
    let status = line
        .strip_prefix("HTTP/1.")
        .and_then(|rest| rest.get(2..5))
        .and_then(|code| code.parse::<u16>().ok())
        .ok_or("the answer does not start with an HTTP status line")?;
    Ok(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_the_hmac_of_the_time_and_the_body() {
        // Checked with: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        assert_eq!(
            signature("whsec_test", 1_700_000_000, r#"{"a":1}"#),
            "t=1700000000,v1=".to_owned() + &expected()
        );
    }

    fn expected() -> String {
        let mut mac = Hmac::<Sha256>::new_from_slice(b"whsec_test").unwrap();
        mac.update(br#"1700000000.{"a":1}"#);
        crate::tokens::hex(&mac.finalize().into_bytes())
    }

    #[test]
    fn only_public_addresses_are_public() {
        for private in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "224.0.0.1",
            "198.18.0.1",
            "192.0.0.8",
            "::a9fe:a9fe",
            "64:ff9b::a9fe:a9fe",
            "2002:a9fe:a9fe::1",
            "2002:7f00:1::",
            "fec0::1",
            "2001::1",
        ] {
            assert!(!is_public(private.parse().unwrap()), "{private}");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(public.parse().unwrap()), "{public}");
        }
    }

    #[test]
    fn endpoint_addresses_are_checked_when_added() {
        assert!(url_problem("https://hooks.example.com/galley", false).is_none());
        assert!(url_problem("ftp://example.com/", false).is_some());
        assert!(url_problem("not a url", false).is_some());
        assert!(url_problem("https://user:pw@example.com/", false).is_some());
        let local = url_problem("http://127.0.0.1:9000/hook", false).unwrap();
        assert!(local.contains("loopback"), "{local}");
        assert!(url_problem("http://localhost/hook", false).is_some());
        assert!(url_problem("http://[::1]/hook", false).is_some());
        assert!(url_problem("http://169.254.169.254/latest", false).is_some());
        assert!(url_problem("http://127.0.0.1:9000/hook", true).is_none());
    }

    #[test]
    fn a_receiver_that_never_answers_is_left_at_the_deadline() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let held = std::thread::spawn(move || listener.accept().map(|(conn, _)| conn));
        let stream = TcpStream::connect(addr).unwrap();
        let deadline = Instant::now() + Duration::from_millis(300);
        let _watchdog = Watchdog::start(&stream, deadline).unwrap();
        let started = Instant::now();
        let answer = exchange(stream, "POST / HTTP/1.1\r\n\r\n", "", deadline);
        assert!(answer.is_err(), "{answer:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
        drop(held);
    }

    #[test]
    fn a_loopback_receiver_is_refused_unless_allowed() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let refused = post(&url, &[], "{}", false).unwrap_err();
        assert!(refused.starts_with("refused: 127.0.0.1"), "{refused}");
        assert!(refused.contains("loopback"), "{refused}");
        let answer = std::thread::spawn(move || {
            let (mut conn, _) = listener.accept().unwrap();
            let mut buf = [0u8; 4096];
            let n = conn.read(&mut buf).unwrap();
            conn.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").unwrap();
            String::from_utf8_lossy(&buf[..n]).into_owned()
        });
        assert_eq!(post(&url, &[("X-Test", "1".into())], "{}", true), Ok(204));
        let request = answer.join().unwrap();
        assert!(request.starts_with("POST /hook HTTP/1.1\r\n"), "{request}");
        assert!(request.contains("X-Test: 1\r\n"), "{request}");
    }
}
