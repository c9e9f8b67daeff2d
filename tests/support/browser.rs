//! Headless Chromium for the browser tests: Debian's `chromium` driven
//! through `chromedriver` with fantoccini, axe-core injected into pages, and
//! the Nu HTML Checker (`vnu.jar`) run with the machine's Java.
//!
//! One chromedriver serves every test of the binary that is running at the
//! time; each browser session gets a fresh profile. When a tool is missing
//! the tests say so on stderr and pass, unless `BATON_E2E_REQUIRED=1`.
#![allow(dead_code)]

use std::io::Write;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::wd::{Capabilities, WebDriverCompatibleCommand};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

use crate::common::{Backend, TestApp};

/// A desktop window.
pub const DESKTOP: (u32, u32) = (1280, 900);
/// A phone held upright.
pub const PHONE: (u32, u32) = (360, 780);

/// How long to wait for something to show up.
const PATIENCE: Duration = Duration::from_secs(15);

/// Where the tools are.
pub struct Tools {
    chromium: PathBuf,
    chromedriver: PathBuf,
    java: PathBuf,
    vnu: PathBuf,
    axe: String,
}

/// Writes to the real stderr, past the test harness's capture, so that a
/// skip is seen in a plain `cargo test`.
fn say(message: &str) {
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn required() -> bool {
    std::env::var("BATON_E2E_REQUIRED").is_ok_and(|v| v == "1")
}

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    })
}

fn find_tools() -> Result<Tools, String> {
    let chromium = ["/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .or_else(|| on_path("chromium"))
        .ok_or("Chromium is not installed (apt-get install -y chromium chromium-driver)")?;
    let chromedriver = on_path("chromedriver")
        .or_else(|| Some(PathBuf::from("/usr/bin/chromedriver")).filter(|p| p.is_file()))
        .ok_or("chromedriver is not installed (apt-get install -y chromium-driver)")?;
    let java = on_path("java").ok_or("Java is not installed (apt-get install -y default-jre-headless), needed by the HTML validator")?;
    let modules = Path::new(env!("CARGO_MANIFEST_DIR")).join("e2e/node_modules");
    let axe_path = modules.join("axe-core/axe.min.js");
    let vnu = modules.join("vnu-jar/build/dist/vnu.jar");
    if !axe_path.is_file() || !vnu.is_file() {
        return Err(format!(
            "axe-core and vnu-jar are not installed in {} (npm ci --prefix e2e --ignore-scripts)",
            modules.display()
        ));
    }
    let axe = std::fs::read_to_string(&axe_path).map_err(|e| format!("reading axe-core: {e}"))?;
    Ok(Tools {
        chromium,
        chromedriver,
        java,
        vnu,
        axe,
    })
}

/// The tools, or `None` (with the reason said) when the browser tests are skipped.
pub fn tools(test: &str) -> Option<&'static Tools> {
    static TOOLS: OnceLock<Result<Tools, String>> = OnceLock::new();
    match TOOLS.get_or_init(find_tools) {
        Ok(tools) => Some(tools),
        Err(why) if required() => panic!("BATON_E2E_REQUIRED=1 but {why}"),
        Err(why) => {
            say(&format!("browser test {test} skipped: {why}"));
            None
        }
    }
}

/// The running chromedriver and how many tests use it.
struct Driver {
    child: Child,
    port: u16,
    users: usize,
}

static DRIVER: Mutex<Option<Driver>> = Mutex::new(None);

/// A test's use of the shared chromedriver; the last one out stops it.
pub struct DriverLease {
    port: u16,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// Starts chromedriver on a free port; `None` when it exits before listening.
fn start_chromedriver(tools: &Tools) -> Option<(Child, u16)> {
    let port = free_port();
    let mut command = Command::new(&tools.chromedriver);
    command
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // Its own process group, so that stopping it stops its browsers too.
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command.spawn().expect("start chromedriver");
    let started = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        if child.try_wait().ok().flatten().is_some() {
            return None;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "chromedriver did not listen on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((child, port))
}

impl DriverLease {
    fn acquire(tools: &Tools) -> DriverLease {
        let mut slot = DRIVER.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(driver) = slot.as_mut() {
            driver.users += 1;
            return DriverLease { port: driver.port };
        }
        // A free port can be taken between finding it and chromedriver
        // binding it: then chromedriver exits, and another port is tried.
        let (child, port) = (0..3)
            .find_map(|_| start_chromedriver(tools))
            .expect("chromedriver did not start (3 tries)");
        *slot = Some(Driver {
            child,
            port,
            users: 1,
        });
        DriverLease { port }
    }
}

impl Drop for DriverLease {
    fn drop(&mut self) {
        let mut slot = DRIVER.lock().unwrap_or_else(|e| e.into_inner());
        let last = slot.as_mut().is_some_and(|d| {
            d.users -= 1;
            d.users == 0
        });
        if last && let Some(mut driver) = slot.take() {
            // The group of the chromedriver this harness started (its pid).
            let group = format!("-{}", driver.child.id());
            let _ = Command::new("kill").args(["-TERM", "--", &group]).status();
            let _ = driver.child.wait();
        }
    }
}

/// A chromedriver `goog/cdp/execute` call: a Chrome DevTools command on
/// the session's page (colour scheme and time zone emulation).
#[derive(Debug)]
struct Cdp {
    cmd: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = json!({"cmd": self.cmd, "params": self.params}).to_string();
        (http::Method::POST, Some(body))
    }
}

/// One browser test: a fresh Baton, the browsers it opened, and the pages
/// collected for the HTML validator.
pub struct E2e {
    /// The server under test (SQLite, its own database).
    pub app: TestApp,
    tools: &'static Tools,
    name: &'static str,
    lease: DriverLease,
    profiles: PathBuf,
    sessions: Mutex<Vec<Client>>,
    last: Mutex<Option<Client>>,
    pages: Mutex<Vec<(String, String)>>,
    problems: Mutex<Vec<String>>,
}

/// Where screenshots and validated pages go: `target/e2e/`.
pub fn output_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e");
    std::fs::create_dir_all(&dir).expect("create target/e2e");
    dir
}

/// Runs a browser test: starts Baton (with `settings`) and chromedriver,
/// runs `body`, saves a screenshot of the last page to
/// `target/e2e/{test}.png` (also when the body failed), validates every page
/// the body collected, and fails as the body failed. The test is named by
/// its thread, which the test harness names after it.
pub async fn run<F, Fut>(settings: &[(&str, &str)], body: F)
where
    F: FnOnce(Arc<E2e>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let thread = std::thread::current();
    let name: &'static str = thread
        .name()
        .and_then(|n| n.rsplit("::").next())
        .map(|n| &*Box::leak(n.to_owned().into_boxed_str()))
        .unwrap_or("e2e");
    let Some(tools) = tools(name) else {
        return;
    };
    let app = TestApp::spawn_with(Backend::Sqlite, settings)
        .await
        .expect("sqlite");
    let profiles = std::env::temp_dir().join(format!(
        "baton-e2e-{name}-{}",
        uuid::Uuid::new_v4().simple()
    ));
    let e2e = Arc::new(E2e {
        app,
        tools,
        name,
        lease: DriverLease::acquire(tools),
        profiles,
        sessions: Mutex::new(vec![]),
        last: Mutex::new(None),
        pages: Mutex::new(vec![]),
        problems: Mutex::new(vec![]),
    });
    let started = Instant::now();
    let outcome = tokio::spawn(body(e2e.clone())).await;
    let last = e2e.last.lock().unwrap().clone();
    if let Some(client) = last {
        let shot = output_dir().join(format!("{name}.png"));
        match full_page_png(&client).await {
            Ok(png) => std::fs::write(&shot, png).expect("write screenshot"),
            Err(e) => say(&format!("{name}: no screenshot: {e}")),
        }
    }
    let sessions: Vec<Client> = e2e.sessions.lock().unwrap().drain(..).collect();
    for client in sessions {
        let _ = client.close().await;
    }
    let _ = std::fs::remove_dir_all(&e2e.profiles);
    if let Err(failure) = outcome {
        match failure.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(e) => panic!("{name}: {e}"),
        }
    }
    // Accessibility and HTML problems are gathered over every page and
    // reported together, so that one run shows all there is to fix.
    let mut problems: Vec<String> = e2e.problems.lock().unwrap().drain(..).collect();
    let pages: Vec<(String, String)> = e2e.pages.lock().unwrap().drain(..).collect();
    if !pages.is_empty() {
        let (vnu, java) = (tools.vnu.clone(), tools.java.clone());
        let verdict = tokio::task::spawn_blocking(move || validate(name, &java, &vnu, &pages))
            .await
            .expect("the validator ran");
        if let Err(errors) = verdict {
            problems.push(errors);
        }
    }
    assert!(problems.is_empty(), "{name}:\n{}", problems.join("\n"));
    say(&format!(
        "browser test {name}: {:.1}s",
        started.elapsed().as_secs_f64()
    ));
}

/// A PNG of the whole page (not only the part in the window).
async fn full_page_png(client: &Client) -> Result<Vec<u8>, String> {
    let shot = client
        .issue_cmd(Cdp {
            cmd: "Page.captureScreenshot",
            params: json!({"format": "png", "captureBeyondViewport": true}),
        })
        .await
        .map_err(|e| e.to_string())?;
    let data = shot["data"].as_str().ok_or("no screenshot data")?;
    base64_decode(data)
}

/// Decodes standard base64 (what DevTools sends screenshots in).
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let value = |c: u8| -> Result<u32, String> {
        Ok(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("not base64: {:?}", c as char)),
        } as u32)
    };
    let bytes: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    let mut out = Vec::with_capacity(bytes.len() / 4 * 3);
    for chunk in bytes.chunks(4) {
        let data: Vec<u8> = chunk.iter().copied().filter(|&c| c != b'=').collect();
        let mut n = 0u32;
        for (i, &c) in data.iter().enumerate() {
            n |= value(c)? << (18 - 6 * i);
        }
        let keep = data.len().saturating_sub(1);
        out.extend_from_slice(&n.to_be_bytes()[1..1 + keep]);
    }
    Ok(out)
}

/// Runs the Nu HTML Checker over `pages` (label, HTML); any error fails.
fn validate(name: &str, java: &Path, vnu: &Path, pages: &[(String, String)]) -> Result<(), String> {
    let dir = output_dir().join("html").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the page folder");
    let mut files = vec![];
    for (i, (label, html)) in pages.iter().enumerate() {
        let slug: String = label
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let file = dir.join(format!("{i:02}-{slug}.html"));
        std::fs::write(&file, html).expect("write page");
        files.push(file);
    }
    let output = Command::new(java)
        .arg("-jar")
        .arg(vnu)
        .args(["--format", "json", "--exit-zero-always"])
        .args(&files)
        .output()
        .expect("run the HTML validator");
    let report: Value = serde_json::from_slice(&output.stderr)
        .or_else(|_| serde_json::from_slice(&output.stdout))
        .unwrap_or_else(|e| {
            panic!(
                "the validator's report is not JSON ({e}): {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let mut errors = vec![];
    for m in report["messages"].as_array().into_iter().flatten() {
        let file = m["url"]
            .as_str()
            .unwrap_or("")
            .rsplit('/')
            .next()
            .unwrap_or("");
        let line = format!(
            "{file}:{}: {} ({})",
            m["lastLine"],
            m["message"].as_str().unwrap_or(""),
            m["extract"].as_str().unwrap_or("").trim()
        );
        match m["type"].as_str() {
            Some("error") | Some("non-document-error") => errors.push(line),
            _ => say(&format!("{name}: validator: {line}")),
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    Err(format!(
        "{name}: {} HTML error(s) (pages in {}):\n{}",
        errors.len(),
        dir.display(),
        errors.join("\n")
    ))
}

/// An axe-core finding.
#[derive(Debug, Clone)]
pub struct Violation {
    /// The rule, e.g. `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks.
    pub help: String,
    /// The elements, with axe's summary for each.
    pub nodes: Vec<String>,
}

/// One browser window (its own profile, cookies and zone).
#[derive(Clone)]
pub struct Browser {
    client: Client,
    e2e: Arc<E2e>,
    /// A click or key press may have started a navigation that the next
    /// `wait_for_path` must see finish (the old document can still be there).
    navigating: Arc<std::sync::atomic::AtomicBool>,
}

impl E2e {
    /// A new browser session of `width`×`height`, its clock in `timezone`.
    pub async fn browser(self: &Arc<Self>, size: (u32, u32), timezone: &str) -> Browser {
        let profile = self
            .profiles
            .join(format!("p{}", self.sessions.lock().unwrap().len()));
        let mut caps = Capabilities::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": self.tools.chromium,
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--lang=en-US",
                    format!("--window-size={},{}", size.0, size.1),
                    format!("--user-data-dir={}", profile.display()),
                ],
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{}", self.lease.port))
            .await
            .expect("a browser session");
        self.sessions.lock().unwrap().push(client.clone());
        let browser = Browser {
            navigating: Arc::new(std::sync::atomic::AtomicBool::new(false)),
            client,
            e2e: self.clone(),
        };
        browser
            .cdp(
                "Emulation.setTimezoneOverride",
                json!({ "timezoneId": timezone }),
            )
            .await;
        browser.resize(size).await;
        browser
    }

    /// Keeps `html` (a page's source) for the HTML validator.
    pub fn collect(&self, label: &str, html: String) {
        self.pages.lock().unwrap().push((label.to_owned(), html));
    }
}

impl Browser {
    fn mark_last(&self) {
        *self.e2e.last.lock().unwrap() = Some(self.client.clone());
    }

    /// Marks the current document, so that `wait_for_path` after an action
    /// that navigates waits for the next document, even on the same path.
    async fn mark_document(&self) {
        // A page in the middle of unloading may refuse scripts; then it is leaving anyway.
        let marked = self
            .client
            .execute("window.__batonOldDocument = true; return true", vec![])
            .await
            .is_ok();
        self.navigating
            .store(marked, std::sync::atomic::Ordering::SeqCst);
    }

    /// The underlying WebDriver client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Sends a Chrome DevTools command to this page.
    pub async fn cdp(&self, cmd: &'static str, params: Value) {
        self.client
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    }

    /// Makes the viewport exactly `width`×`height` CSS pixels.
    pub async fn resize(&self, (width, height): (u32, u32)) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": false}),
        )
        .await;
        let inner = self.js("return window.innerWidth", vec![]).await;
        assert_eq!(inner, json!(width), "the window is not {width} px wide");
    }

    /// Saves a PNG of the whole page to `target/e2e/{file}.png`.
    pub async fn screenshot(&self, file: &str) {
        let png = full_page_png(&self.client)
            .await
            .unwrap_or_else(|e| panic!("screenshot {file}: {e}"));
        let path = output_dir().join(format!("{file}.png"));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("screenshot folder");
        }
        std::fs::write(path, png).expect("write screenshot");
    }

    /// Emulates `prefers-color-scheme: dark` (or back to light).
    pub async fn dark(&self, on: bool) {
        let value = if on { "dark" } else { "light" };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({"features": [{"name": "prefers-color-scheme", "value": value}]}),
        )
        .await;
        let dark = self
            .js(
                "return matchMedia('(prefers-color-scheme: dark)').matches",
                vec![],
            )
            .await;
        assert_eq!(dark, json!(on));
    }

    /// Opens `path` of the server under test.
    pub async fn goto(&self, path: &str) {
        self.mark_last();
        self.client
            .goto(&self.e2e.app.url(path))
            .await
            .unwrap_or_else(|e| panic!("open {path}: {e}"));
    }

    /// The current path (with query).
    pub async fn path(&self) -> String {
        let url = self.client.current_url().await.expect("current url");
        match url.query() {
            Some(q) => format!("{}?{q}", url.path()),
            None => url.path().to_owned(),
        }
    }

    /// Waits until the current path (without query) is `path`.
    pub async fn wait_for_path(&self, path: &str) {
        let started = Instant::now();
        loop {
            let url = self.client.current_url().await.expect("current url");
            let state = self
                .client
                .execute(
                    "return [document.readyState, window.__batonOldDocument === true]",
                    vec![],
                )
                .await
                .unwrap_or_else(|_| json!(["loading", true]));
            let new_document = !self.navigating.load(std::sync::atomic::Ordering::SeqCst)
                || state[1] == json!(false);
            if url.path() == path && state[0] == json!("complete") && new_document {
                self.navigating
                    .store(false, std::sync::atomic::Ordering::SeqCst);
                return;
            }
            assert!(
                started.elapsed() < PATIENCE,
                "still on {} instead of {path}",
                url.path()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until the page script has shown the page's times (converted
    /// to the browser's zone, or given their tooltips).
    pub async fn wait_for_times(&self) {
        let started = Instant::now();
        loop {
            let state = self
                .js("return document.body.getAttribute('data-times')", vec![])
                .await;
            if state == json!("done") {
                return;
            }
            assert!(
                state != json!("unavailable"),
                "the script could not load the zone's rules"
            );
            assert!(started.elapsed() < PATIENCE, "the times were never shown");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Runs `script` (a function body) in the page and returns its value.
    pub async fn js(&self, script: &str, args: Vec<Value>) -> Value {
        self.client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
    }

    /// The element `css`; fails when there is none.
    pub async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("no element {css} on the page: {e}"))
    }

    /// Every element `css`.
    pub async fn find_all(&self, css: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(css))
            .await
            .expect("find elements")
    }

    /// Whether an element `css` is on the page now.
    pub async fn has(&self, css: &str) -> bool {
        !self.find_all(css).await.is_empty()
    }

    /// The visible text of `css`.
    pub async fn text(&self, css: &str) -> String {
        self.find(css).await.text().await.expect("text")
    }

    /// The `value` of the form field `css`.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .expect("value")
            .unwrap_or_default()
    }

    /// Clears the field `css` and types `text` into it.
    pub async fn fill(&self, css: &str, text: &str) {
        let field = self.find(css).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }

    /// Sets a field's value the way a date picker would (for
    /// `datetime-local`, whose typing order depends on the locale).
    pub async fn set_value(&self, css: &str, value: &str) {
        let field = self.find(css).await;
        self.client
            .execute(
                "arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input', {bubbles: true}));",
                vec![serde_json::to_value(&field).expect("element"), json!(value)],
            )
            .await
            .expect("set value");
    }

    /// Picks the option `value` of the select `css`.
    pub async fn select(&self, css: &str, value: &str) {
        self.find(css)
            .await
            .select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("select {value} in {css}: {e}"));
    }

    /// Clicks `css`.
    pub async fn click(&self, css: &str) {
        self.mark_last();
        self.mark_document().await;
        self.find(css)
            .await
            .click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
    }

    /// Presses one key (Tab, Enter, Space…) on whatever has focus.
    pub async fn press(&self, key: Key) {
        self.mark_last();
        if matches!(key, Key::Enter | Key::Return | Key::Space) {
            self.mark_document().await;
        }
        let down: char = key.into();
        let actions = KeyActions::new("keyboard".into())
            .then(KeyAction::Down { value: down })
            .then(KeyAction::Up { value: down });
        self.client
            .perform_actions(actions)
            .await
            .expect("press a key");
    }

    /// Presses Tab until the element `css` has focus (at most `limit` times),
    /// checks that the focus can be seen, and returns how many presses it took.
    pub async fn tab_to(&self, css: &str, limit: usize) -> usize {
        for presses in 1..=limit {
            self.press(Key::Tab).await;
            let on_it = self
                .js(
                    "return document.activeElement !== null && document.activeElement.matches(arguments[0])",
                    vec![json!(css)],
                )
                .await;
            if on_it == json!(true) {
                let focus = self.focus_style().await;
                assert!(
                    focus.0 != "none" && focus.1 >= 2.0,
                    "{css} has focus but no visible focus ring: outline {focus:?}"
                );
                return presses;
            }
        }
        let at = self
            .js(
                "const a = document.activeElement; return a ? a.outerHTML.slice(0, 200) : null",
                vec![],
            )
            .await;
        panic!("{css} was not reached with {limit} presses of Tab; focus is on {at}");
    }

    /// The outline style and width of the focused element.
    async fn focus_style(&self) -> (String, f64) {
        let v = self
            .js(
                "const s = getComputedStyle(document.activeElement); return [s.outlineStyle, parseFloat(s.outlineWidth)]",
                vec![],
            )
            .await;
        (
            v[0].as_str().unwrap_or("").to_owned(),
            v[1].as_f64().unwrap_or(0.0),
        )
    }

    /// Types `text` into whatever has focus.
    pub async fn type_text(&self, text: &str) {
        let focused = self.client.active_element().await.expect("focused element");
        focused.send_keys(text).await.expect("type");
    }

    /// Signs in on `/login` by pressing the user's button (local mode).
    pub async fn sign_in(&self, username: &str) {
        self.goto("/login").await;
        self.click(&format!("button[name=username][value={username}]"))
            .await;
        self.wait_for_path("/").await;
        let who = self.text("nav a[href='/me']").await;
        assert_eq!(who, username, "signed in as someone else");
    }

    /// Fails unless the page fits the window: no horizontal scrolling.
    pub async fn assert_no_horizontal_scroll(&self, what: &str) {
        let v = self
            .js(
                "const wide = [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1).slice(0, 3).map(e => e.tagName + '.' + e.className);\
                 return [document.documentElement.scrollWidth, window.innerWidth, wide]",
                vec![],
            )
            .await;
        let (scroll, inner) = (v[0].as_i64().unwrap(), v[1].as_i64().unwrap());
        assert!(
            scroll <= inner,
            "{what} scrolls sideways at {inner} px: {scroll} px wide (too wide: {})",
            v[2]
        );
    }

    /// The `<time>` elements of the page: (datetime, text).
    pub async fn times(&self) -> Vec<(String, String)> {
        let v = self
            .js(
                "return [...document.querySelectorAll('time')].map(t => [t.getAttribute('datetime'), t.textContent])",
                vec![],
            )
            .await;
        v.as_array()
            .into_iter()
            .flatten()
            .map(|p| {
                (
                    p[0].as_str().unwrap_or("").to_owned(),
                    p[1].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }

    /// The page's HTML as the server sent it (fetched again with this
    /// browser's cookies), kept for the validator under `label`.
    pub async fn collect_source(&self, label: &str) {
        let html = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];\
                 fetch(location.href, {credentials: 'same-origin'}).then(r => r.text()).then(done, e => done('FETCH FAILED ' + e));",
                vec![],
            )
            .await
            .expect("fetch the page");
        let html = html.as_str().unwrap_or_default().to_owned();
        assert!(!html.starts_with("FETCH FAILED"), "{label}: {html}");
        self.e2e.collect(label, html);
    }

    /// Posts the form `css` as it is filled now and keeps the answer (a
    /// form that comes back with errors) for the validator under `label`.
    pub async fn collect_form_answer(&self, css: &str, label: &str) {
        let form = self.find(css).await;
        let html = self
            .client
            .execute_async(
                "const form = arguments[0]; const done = arguments[arguments.length - 1];\
                 fetch(form.action, {method: 'POST', credentials: 'same-origin', body: new URLSearchParams(new FormData(form))})\
                   .then(r => r.text()).then(done, e => done('FETCH FAILED ' + e));",
                vec![serde_json::to_value(&form).expect("element")],
            )
            .await
            .expect("post the form");
        let html = html.as_str().unwrap_or_default().to_owned();
        assert!(!html.starts_with("FETCH FAILED"), "{label}: {html}");
        self.e2e.collect(label, html);
    }

    /// Runs axe-core on the page (all its rules, or only `rules`) and
    /// returns what it found.
    pub async fn axe(&self, rules: Option<&[&str]>) -> Vec<Violation> {
        let loaded = self.js("return typeof window.axe", vec![]).await;
        if loaded != json!("object") {
            self.js(&format!("{}\n;return true;", self.e2e.tools.axe), vec![])
                .await;
        }
        let options = match rules {
            Some(rules) => {
                json!({"runOnly": {"type": "rule", "values": rules}, "resultTypes": ["violations"]})
            }
            None => json!({"resultTypes": ["violations"]}),
        };
        let found = self
            .client
            .execute_async(
                r"const done = arguments[arguments.length - 1];
                axe.run(document, arguments[0]).then(
                  r => done(r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                    nodes: v.nodes.map(n => n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' '))}))),
                  e => done({error: String(e)}));",
                vec![options],
            )
            .await
            .expect("run axe");
        assert!(found.get("error").is_none(), "axe failed: {found}");
        found
            .as_array()
            .into_iter()
            .flatten()
            .map(|v| Violation {
                id: v["id"].as_str().unwrap_or("").to_owned(),
                impact: v["impact"].as_str().unwrap_or("").to_owned(),
                help: v["help"].as_str().unwrap_or("").to_owned(),
                nodes: v["nodes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|n| n.as_str().unwrap_or("").to_owned())
                    .collect(),
            })
            .collect()
    }

    /// Records any moderate, serious or critical axe-core violation of the
    /// page (the test fails at its end); `rules` limits the check. Minor
    /// ones are reported on stderr.
    pub async fn assert_accessible(&self, what: &str, rules: Option<&[&str]>) {
        let found = self.axe(rules).await;
        let mut bad = vec![];
        for v in &found {
            let line = format!(
                "{what}: [{}] {} ({}):\n    {}",
                v.impact,
                v.id,
                v.help,
                v.nodes.join("\n    ")
            );
            if v.impact != "minor" {
                bad.push(line);
            } else {
                say(&format!("{}: axe: {line}", self.e2e.name));
            }
        }
        self.e2e.problems.lock().unwrap().extend(bad);
    }
}
