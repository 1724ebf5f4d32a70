//! A real browser for the web page tests: Debian's `chromedriver` driving headless `chromium`
//! through WebDriver (the fantoccini client). Screenshots go to `target/ui-screenshots/`, which
//! the tests name in their output. A missing chromedriver fails the test with the command that
//! installs it (the test command in README installs it).

use std::path::PathBuf;
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::{eventually, free_port, ChildProcess};

/// The two window sizes every page is checked at: a laptop and a phone.
pub const DESKTOP: (u32, u32) = (1366, 768);
pub const PHONE: (u32, u32) = (390, 844);

pub struct Browser {
    client: Client,
    _driver: ChildProcess,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts chromedriver on a free port and opens a headless chromium session at 1366×768.
    pub async fn start() -> Browser {
        let driver_path = which("chromedriver");
        let chromium = which("chromium");
        let profile = tempfile::tempdir().expect("a profile directory");
        let port = free_port();
        let driver =
            ChildProcess::spawn(&driver_path, &[format!("--port={port}")], &profile.path().join("chromedriver.log"));
        let webdriver = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::new();
        eventually("chromedriver to answer", Duration::from_secs(20), || async {
            http.get(format!("{webdriver}/status")).send().await.ok().filter(|answer| answer.status().is_success())
        })
        .await;
        let options = serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--no-first-run", "--disable-extensions", "--hide-scrollbars",
                format!("--window-size={},{}", DESKTOP.0, DESKTOP.1),
                format!("--user-data-dir={}", profile.path().join("chromium").display()),
            ],
        });
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        // `corral up --secure` serves the pages with its own CA's certificates.
        capabilities.insert("acceptInsecureCerts".into(), serde_json::Value::Bool(true));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&webdriver)
            .await
            .unwrap_or_else(|error| panic!("cannot open a chromium session through chromedriver: {error}"));
        let browser = Browser { client, _driver: driver, _profile: profile };
        browser.resize(DESKTOP).await;
        browser
    }

    pub fn client(&self) -> &Client {
        &self.client
    }

    pub async fn goto(&self, url: &str) {
        self.client.goto(url).await.unwrap_or_else(|error| panic!("cannot open {url}: {error}"));
    }

    /// Sets the size of the page's viewport (the headless window has no frame).
    pub async fn resize(&self, (width, height): (u32, u32)) {
        self.client.set_window_size(width, height).await.expect("set the window size");
        // Even headless, the window's frame takes some of it: grow the window by the difference.
        let inner = self.script("return [window.innerWidth, window.innerHeight]").await;
        let frame = |index: usize, asked: u32| asked.saturating_sub(inner[index].as_u64().unwrap_or(0) as u32);
        let (extra_width, extra_height) = (frame(0, width), frame(1, height));
        if extra_width > 0 || extra_height > 0 {
            self.client.set_window_size(width + extra_width, height + extra_height).await.expect("set the window size");
        }
    }

    /// Saves a screenshot of the viewport as `target/ui-screenshots/<name>.png`.
    pub async fn shoot(&self, name: &str) -> PathBuf {
        let png = self.client.screenshot().await.expect("take a screenshot");
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write the screenshot");
        println!("screenshot: {}", path.display());
        path
    }

    /// Shoots the page at both sizes, `<name>-desktop.png` and `<name>-phone.png`, and checks
    /// that nothing makes the page wider than a phone's window.
    pub async fn shoot_both(&self, name: &str) {
        self.shoot(&format!("{name}-desktop")).await;
        self.resize(PHONE).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let overflow = self.script("return document.documentElement.scrollWidth - window.innerWidth").await;
        assert!(overflow.as_i64().unwrap_or(0) <= 1, "{name} is {overflow}px wider than a phone's window");
        self.shoot(&format!("{name}-phone")).await;
        self.resize(DESKTOP).await;
    }

    /// Runs `script` in the page and returns what it returns.
    pub async fn script(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, Vec::new()).await.unwrap_or_else(|error| panic!("script failed: {error}\n{script}"))
    }

    /// Waits up to `within` for an element matching `css` whose text contains `text`.
    pub async fn wait_text(&self, css: &str, text: &str, within: Duration) -> Element {
        let what = format!("{css} to show {text:?}");
        eventually(&what, within, || async {
            for element in self.client.find_all(Locator::Css(css)).await.ok()? {
                if element.text().await.is_ok_and(|shown| shown.contains(text)) {
                    return Some(element);
                }
            }
            None
        })
        .await
    }

    /// Waits up to `within` for an element matching `css` to be there.
    pub async fn wait_for(&self, css: &str, within: Duration) -> Element {
        eventually(&format!("{css} to appear"), within, || async { self.client.find(Locator::Css(css)).await.ok() })
            .await
    }

    /// Clicks the element matching `css` (waiting up to 10 s for it).
    pub async fn click(&self, css: &str) {
        let element = self.wait_for(css, Duration::from_secs(10)).await;
        element.click().await.unwrap_or_else(|error| panic!("cannot click {css}: {error}"));
    }

    /// Replaces the value of the input matching `css` with `text`.
    pub async fn fill(&self, css: &str, text: &str) {
        let element = self.wait_for(css, Duration::from_secs(10)).await;
        element.clear().await.unwrap_or_else(|error| panic!("cannot clear {css}: {error}"));
        element.send_keys(text).await.unwrap_or_else(|error| panic!("cannot type into {css}: {error}"));
    }

    /// The page's full text, for a failure message.
    pub async fn page_text(&self) -> String {
        self.script("return document.body.innerText").await.as_str().unwrap_or_default().to_string()
    }

    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// `target/ui-screenshots/`, made if missing.
pub fn screenshot_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the running executable has a path");
    let target =
        exe.ancestors().find(|dir| dir.ends_with("target")).map_or_else(|| PathBuf::from("target"), PathBuf::from);
    let dir = target.join("ui-screenshots");
    std::fs::create_dir_all(&dir).expect("make the screenshot directory");
    dir
}

fn which(program: &str) -> PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|dir| dir.join(program))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("{program} is missing: apt-get install chromium chromium-driver (scripts/test.sh installs them)")
        })
}
