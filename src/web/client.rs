//! Who is asking, as far as HTTP tells: the client address, and safe `next` targets.

use actix_web::{HttpRequest, web};

use crate::state::AppState;

/// The client's address: the peer, or the proxy's `Forwarded`/`X-Forwarded-For` when
/// `GALLEY_TRUST_PROXY` says a proxy in front sets it (otherwise anyone could claim any address).
pub fn client_ip(req: &HttpRequest) -> String {
    let trust = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.config.trust_proxy);
    let info = req.connection_info();
    let addr = if trust {
        info.realip_remote_addr()
    } else {
        info.peer_addr()
    };
    let addr = addr.unwrap_or("unknown");
    // Drop the port of "ip:port" (but not the colons of a bare IPv6 address).
    match addr.parse::<std::net::SocketAddr>() {
        Ok(sock) => sock.ip().to_string(),
        Err(_) => addr.trim_matches(['[', ']']).to_owned(),
    }
}

/// A local path to go to after signing in, or `None` for anything that could leave the site.
pub fn safe_next(next: &str) -> Option<&str> {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control)
        && next.len() <= 2000;
    ok.then_some(next)
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(
            safe_next("/admin/pages?status=draft"),
            Some("/admin/pages?status=draft")
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "evil",
            "",
            "/\n/x",
            "javascript:alert(1)",
        ] {
            assert_eq!(safe_next(bad), None, "{bad:?}");
        }
    }
}
