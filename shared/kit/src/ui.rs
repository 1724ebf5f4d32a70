//! The web pages every service serves: its own page at `/` and script at `/ui/page.js`, and the
//! parts all pages share at `/ui/corral.css` and `/ui/corral.js` (API calls with the operator's
//! token, the banner for 401/403/503, an event-stream reader that reconnects, a hash router).
//! Everything is in the binary; nothing is fetched from elsewhere. The pages hold no data, so
//! they are open to all; the data they show comes from the API under the service's policy.

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;

const SHARED_CSS: &str = include_str!("ui/corral.css");
const SHARED_JS: &str = include_str!("ui/corral.js");

/// One service's page: the HTML at `/` and its script at `/ui/page.js`.
#[derive(Debug, Clone, Copy)]
pub struct WebUi {
    pub html: &'static str,
    pub script: &'static str,
}

impl WebUi {
    /// The routes that serve the page and the shared parts.
    pub fn router<S: Clone + Send + Sync + 'static>(self) -> Router<S> {
        Router::new()
            .route("/", get(move || async move { asset("text/html; charset=utf-8", self.html) }))
            .route("/ui/page.js", get(move || async move { asset(JAVASCRIPT, self.script) }))
            .route("/ui/corral.js", get(|| async { asset(JAVASCRIPT, SHARED_JS) }))
            .route("/ui/corral.css", get(|| async { asset("text/css; charset=utf-8", SHARED_CSS) }))
    }
}

const JAVASCRIPT: &str = "text/javascript; charset=utf-8";

/// Whether `path` is one of the page's own files, which every policy leaves open.
pub fn is_web_ui_path(path: &str) -> bool {
    path == "/" || path.starts_with("/ui/")
}

fn asset(content_type: &'static str, body: &'static str) -> impl IntoResponse {
    // `no-cache`: the browser revalidates, so a new binary's page is never mixed with an old script.
    ([(header::CONTENT_TYPE, content_type), (header::CACHE_CONTROL, "no-cache")], body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_page_and_its_files_are_web_ui_paths() {
        for path in ["/", "/ui/corral.js", "/ui/page.js"] {
            assert!(is_web_ui_path(path), "{path}");
        }
        for path in ["", "/v2/apps", "/uix", "/health/ui/"] {
            assert!(!is_web_ui_path(path), "{path}");
        }
    }
}
