//! The browser tests' environment: the tools (Chromium, chromedriver, the checkers), a galley
//! process with a fresh database, and a WebDriver session, with screenshots kept on failure.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

pub type Outcome = Result<(), Box<dyn std::error::Error>>;

const CHROME_FLAGS: &[&str] = &[
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , EXCLUDE 127.0.0.1",
    "--window-size=1280,1000",
];

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn existing(var: &str, default: PathBuf) -> Option<PathBuf> {
    let path = std::env::var(var).map(PathBuf::from).unwrap_or(default);
    path.exists().then_some(path)
}

pub struct Tools {
    chrome: PathBuf,
    chromedriver: PathBuf,
    vnu: Option<(PathBuf, PathBuf)>,
    axe: Option<String>,
}

impl Tools {
    /// The tools, or `None` (after saying why) when something is missing outside CI.
    /// `checkers`: this test also needs the Nu checker (with Java) and axe-core.
    pub fn find(checkers: bool) -> Option<Tools> {
        let tools_dir = root().join("target/browser-tools/node_modules");
        let chrome = existing("CHROME_BIN", PathBuf::from("/usr/bin/chromium"));
        let chromedriver = existing("CHROMEDRIVER", PathBuf::from("/usr/bin/chromedriver"));
        let java = which("java");
        let vnu = existing(
            "GALLEY_VNU_JAR",
            tools_dir.join("vnu-jar/build/dist/vnu.jar"),
        );
        let axe = existing("GALLEY_AXE_JS", tools_dir.join("axe-core/axe.min.js"));
        let mut missing = Vec::new();
        if chrome.is_none() {
            missing.push("Chromium (apt-get install chromium)");
        }
        if chromedriver.is_none() {
            missing.push("chromedriver (apt-get install chromium-driver)");
        }
        if checkers {
            if java.is_none() {
                missing.push("Java (apt-get install default-jre-headless)");
            }
            if vnu.is_none() {
                missing.push(
                    "the Nu HTML Checker (npm install --prefix target/browser-tools vnu-jar)",
                );
            }
            if axe.is_none() {
                missing.push("axe-core (npm install --prefix target/browser-tools axe-core)");
            }
        }
        if !missing.is_empty() {
            let message = format!("browser test needs: {}", missing.join(", "));
            if in_ci() {
                panic!("{message} (CI=true: missing tools are a failure)");
            }
            eprintln!("skipped: {message}");
            return None;
        }
        Some(Tools {
            chrome: chrome.unwrap(),
            chromedriver: chromedriver.unwrap(),
            vnu: java.zip(vnu),
            axe: axe.map(|p| std::fs::read_to_string(p).expect("read axe.min.js")),
        })
    }

    /// Runs the Nu HTML Checker over `documents` at once; returns its errors, by page.
    pub fn vnu(
        &self,
        documents: &[(String, String)],
    ) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let (java, jar) = self.vnu.as_ref().ok_or("the Nu checker is not available")?;
        let dir = tempfile::tempdir()?;
        let mut files = Vec::new();
        for (i, (path, html)) in documents.iter().enumerate() {
            let file = dir.path().join(format!("page-{i}.html"));
            std::fs::write(&file, html)?;
            files.push((file, path.clone()));
        }
        let out = Command::new(java)
            .arg("-jar")
            .arg(jar)
            .args(["--errors-only", "--format", "json", "--exit-zero-always"])
            .args(files.iter().map(|(f, _)| f))
            .output()?;
        let report: Value = serde_json::from_slice(if out.stdout.is_empty() {
            &out.stderr
        } else {
            &out.stdout
        })?;
        let mut errors = Vec::new();
        for m in report["messages"].as_array().into_iter().flatten() {
            let url = m["url"].as_str().unwrap_or("");
            let page = files
                .iter()
                .find(|(f, _)| url.ends_with(&*f.to_string_lossy()))
                .map_or(url, |(_, p)| p.as_str());
            errors.push(format!(
                "{page}: line {}: {}",
                m["lastLine"],
                m["message"].as_str().unwrap_or("")
            ));
        }
        Ok(errors)
    }
}

fn which(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")?
        .to_str()?
        .split(':')
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_for_port(port: u16, what: &str) {
    let start = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A galley process on a free loopback port with a fresh SQLite database and the demo site.
pub struct Galley {
    child: Child,
    _data: tempfile::TempDir,
    pub base: String,
    pub admin_email: String,
    pub admin_password: String,
}

impl Galley {
    fn start() -> Galley {
        let bin =
            std::env::var("GALLEY_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_galley").to_owned());
        let data = tempfile::tempdir().unwrap();
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let mut child = Command::new(&bin)
            .env("GALLEY_DATA_DIR", data.path())
            .env("GALLEY_BIND", format!("127.0.0.1:{port}"))
            .env("GALLEY_BASE_URL", &base)
            .env("GALLEY_DEMO", "true")
            .env(
                "RUST_LOG",
                std::env::var("GALLEY_TEST_LOG").unwrap_or_else(|_| "warn".into()),
            )
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {bin}: {e}"));
        // The first start prints the admin's e-mail and password once, on standard output.
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let (mut email, mut password) = (String::new(), String::new());
        for line in lines.by_ref() {
            let line = line.unwrap();
            if let Some(v) = line.trim().strip_prefix("e-mail:") {
                email = v.trim().to_owned();
            }
            if let Some(v) = line.trim().strip_prefix("password:") {
                password = v.trim().to_owned();
                break;
            }
        }
        std::thread::spawn(move || lines.for_each(drop));
        assert!(
            !password.is_empty(),
            "galley did not print the first admin's password"
        );
        wait_for_port(port, "galley");
        Galley {
            child,
            _data: data,
            base,
            admin_email: email,
            admin_password: password,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

impl Drop for Galley {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub struct Env {
    pub tools: Tools,
    pub galley: Galley,
    pub client: Client,
    driver: Child,
    _profile: tempfile::TempDir,
    name: String,
}

impl Env {
    /// Galley and Chromium with `flags` besides the usual ones (a colour scheme, say).
    pub async fn start_with(tools: &Tools, name: &str, flags: &[&str]) -> Env {
        let galley = Galley::start();
        let port = free_port();
        let driver = Command::new(&tools.chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        wait_for_port(port, "chromedriver");
        let profile = tempfile::tempdir().unwrap();
        let mut args: Vec<String> = CHROME_FLAGS
            .iter()
            .chain(flags)
            .map(|s| (*s).to_owned())
            .collect();
        args.push(format!("--user-data-dir={}", profile.path().display()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": tools.chrome, "args": args },
        });
        let client = ClientBuilder::native()
            .capabilities(caps.as_object().unwrap().clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session with Chromium");
        let tools = Tools {
            chrome: tools.chrome.clone(),
            chromedriver: tools.chromedriver.clone(),
            vnu: tools.vnu.clone(),
            axe: tools.axe.clone(),
        };
        Env {
            tools,
            galley,
            client,
            driver,
            _profile: profile,
            name: name.to_owned(),
        }
    }

    /// Ends the session; on failure keeps a screenshot in `target/browser-artifacts/` first.
    pub async fn finish(mut self, outcome: Outcome) {
        if let Err(e) = &outcome {
            self.screenshot(&format!("{}-failure", self.name)).await;
            let url = self
                .client
                .current_url()
                .await
                .map(|u| u.to_string())
                .unwrap_or_default();
            eprintln!("failed at {url}");
            let _ = e;
        }
        let _ = self.client.clone().close().await;
        let _ = self.driver.kill();
        let _ = self.driver.wait();
        if let Err(e) = outcome {
            panic!("{}: {e}", self.name);
        }
    }

    pub async fn screenshot(&self, name: &str) {
        let dir = root().join("target/browser-artifacts");
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::create_dir_all(&dir);
            let file = dir.join(format!("{name}.png"));
            if std::fs::write(&file, png).is_ok() {
                eprintln!("screenshot: {}", file.display());
            }
        }
    }

    pub async fn sign_in(&self) -> Outcome {
        let (email, password) = (&self.galley.admin_email, &self.galley.admin_password);
        self.sign_in_as(email, password).await
    }

    /// Signs in through the form (unless a session is open already).
    pub async fn sign_in_as(&self, email: &str, password: &str) -> Outcome {
        let c = &self.client;
        c.goto(&self.galley.url("/login")).await?;
        if self.current_path().await? != "/login" {
            return Ok(());
        }
        c.find(Locator::Id("email")).await?.send_keys(email).await?;
        c.find(Locator::Id("password"))
            .await?
            .send_keys(password)
            .await?;
        c.find(Locator::Css("form[action='/login'] button[type='submit']"))
            .await?
            .click()
            .await?;
        self.expect_path("/admin").await
    }

    /// Signs out with the header's button.
    pub async fn sign_out(&self) -> Outcome {
        self.client
            .find(Locator::Css("form[action='/logout'] button"))
            .await?
            .click()
            .await?;
        self.expect_path("/login").await
    }

    pub async fn current_path(&self) -> Result<String, Box<dyn std::error::Error>> {
        Ok(self.client.current_url().await?.path().to_owned())
    }

    pub async fn expect_path(&self, want: &str) -> Outcome {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let path = self.current_path().await?;
            if path == want {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("expected to be at {want}, but at {path}").into());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the element matching `css` contains `text`.
    pub async fn wait_for_text(&self, css: &str, text: &str) -> Outcome {
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if let Ok(el) = self.client.find(Locator::Css(css)).await
                && el.text().await.unwrap_or_default().contains(text)
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("{css} never showed {text:?}").into());
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn expect_text(&self, css: &str, text: &str) -> Outcome {
        self.wait_for_text(css, text).await
    }

    /// The raw HTML the server sends for `path` (fetched by the page itself, with its cookies).
    pub async fn source_of(&self, path: &str) -> Result<String, Box<dyn std::error::Error>> {
        self.source_of_url(&self.galley.url(path)).await
    }

    pub async fn source_of_url(&self, url: &str) -> Result<String, Box<dyn std::error::Error>> {
        let html = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text()).then(done, e => done('ERROR ' + e));",
                vec![json!(url)],
            )
            .await?;
        Ok(html.as_str().unwrap_or_default().to_owned())
    }

    /// The status the server answers `path` with (fetched by the page, without following
    /// redirects).
    pub async fn status_of(&self, path: &str) -> Result<u16, Box<dyn std::error::Error>> {
        let status = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1]; fetch(arguments[0], {redirect: 'manual'}).then(r => done(r.status), e => done(0));",
                vec![json!(self.galley.url(path))],
            )
            .await?;
        Ok(status.as_u64().unwrap_or(0) as u16)
    }

    /// The outcome of a checked flow: the Nu HTML Checker over `documents` added to the
    /// `problems` already found (axe's, say); passing when there are none.
    pub fn verdict(
        &self,
        documents: &[(String, String)],
        problems: impl IntoIterator<Item = String>,
    ) -> Outcome {
        let mut all: std::collections::BTreeSet<String> = problems.into_iter().collect();
        all.extend(
            self.tools
                .vnu(documents)?
                .into_iter()
                .map(|e| format!("vnu {e}")),
        );
        if all.is_empty() {
            Ok(())
        } else {
            Err(all.into_iter().collect::<Vec<_>>().join("\n").into())
        }
    }

    /// axe-core's WCAG 2.1 A/AA violations on the current page, as "rule: nodes" lines.
    pub async fn axe_violations(&self) -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let axe = self.tools.axe.as_ref().ok_or("axe-core is not available")?;
        self.client.execute(axe, vec![]).await?;
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})
                    .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))),
                          e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await?;
        Ok(result
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect())
    }
}
