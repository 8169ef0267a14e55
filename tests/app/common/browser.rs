//! A browser for the in-process app: keeps the session cookie and the last CSRF token, and
//! submits forms the way a person's browser would.

use actix_web::test::TestRequest;

use super::{TestApp, TestResponse};

pub struct Browser<'a> {
    app: &'a TestApp,
    cookie: Option<String>,
    csrf: Option<String>,
    pub ip: String,
    pub user_agent: String,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            cookie: None,
            csrf: None,
            ip: "203.0.113.10".into(),
            user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0".into(),
        }
    }

    pub fn cookie(&self) -> Option<&str> {
        self.cookie.as_deref()
    }

    pub fn csrf(&self) -> Option<&str> {
        self.csrf.as_deref()
    }

    async fn send(&mut self, req: TestRequest) -> TestResponse {
        let mut req = req
            .peer_addr(format!("{}:40000", self.ip).parse().unwrap())
            .insert_header(("user-agent", self.user_agent.clone()));
        if let Some(c) = &self.cookie {
            req = req.insert_header(("cookie", c.clone()));
        }
        let res = self.app.request(req).await;
        for value in res.headers.get_all("set-cookie") {
            let v = value.to_str().unwrap_or("");
            let pair = v.split(';').next().unwrap_or("");
            if let Some((name, val)) = pair.split_once('=')
                && name == "galley_session"
            {
                self.cookie =
                    (!val.is_empty() && !v.contains("Max-Age=0")).then(|| pair.to_owned());
            }
        }
        if let Some(token) = csrf_in(&res.body) {
            self.csrf = Some(token);
        }
        res
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        self.send(TestRequest::get().uri(path)).await
    }

    /// Posts a form, adding the page's CSRF token unless the fields carry one.
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        let mut all: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf_token") {
            all.push(("csrf_token".into(), self.csrf.clone().unwrap_or_default()));
        }
        let body = serde_urlencoded::to_string(&all).unwrap();
        self.send(
            TestRequest::post()
                .uri(path)
                .insert_header(("content-type", "application/x-www-form-urlencoded"))
                .set_payload(body),
        )
        .await
    }

    /// Posts a `multipart/form-data` upload: text fields (the page's CSRF token added unless
    /// given) and files as (field, file name, bytes).
    pub async fn upload(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> TestResponse {
        let mut all: Vec<(String, String)> = fields
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        if !fields.iter().any(|(k, _)| *k == "csrf_token") {
            all.insert(
                0,
                ("csrf_token".into(), self.csrf.clone().unwrap_or_default()),
            );
        }
        let (content_type, body) = multipart(&all, files);
        self.send(
            TestRequest::post()
                .uri(path)
                .insert_header(("content-type", content_type))
                .set_payload(body),
        )
        .await
    }

    /// Signs in through the form; panics unless it succeeds.
    pub async fn sign_in(&mut self, email: &str, password: &str) {
        let res = self.try_sign_in(email, password, "").await;
        assert_eq!(res.status, 303, "sign-in failed: {}", res.body);
    }

    pub async fn try_sign_in(&mut self, email: &str, password: &str, next: &str) -> TestResponse {
        self.get("/login").await;
        self.post(
            "/login",
            &[("email", email), ("password", password), ("next", next)],
        )
        .await
    }
}

/// A `multipart/form-data` body and its content type.
pub fn multipart(fields: &[(String, String)], files: &[(&str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----galley-test-boundary-7MA4YWxkTrZu0gW";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (name, file_name, bytes) in files {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

fn csrf_in(body: &str) -> Option<String> {
    let marker = "name=\"csrf_token\" value=\"";
    let start = body.find(marker)? + marker.len();
    let end = start + body[start..].find('"')?;
    Some(body[start..end].to_owned()).filter(|t| !t.is_empty())
}
