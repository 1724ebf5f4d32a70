//! [`PrometheusText`]: builds the Prometheus text exposition format, one metric family at a time.

use std::fmt::Write;

use axum::http::header;
use axum::response::{IntoResponse, Response};

/// A `/metrics` page under construction.
#[derive(Debug, Default)]
pub struct PrometheusText {
    text: String,
}

impl PrometheusText {
    pub fn gauge(&mut self, name: &str, help: &str, value: f64) -> &mut Self {
        self.family(name, help, "gauge", &[(String::new(), value)])
    }

    pub fn counter(&mut self, name: &str, help: &str, value: f64) -> &mut Self {
        self.family(name, help, "counter", &[(String::new(), value)])
    }

    /// A family whose samples differ by labels, given pre-rendered as `{key="value"}`.
    pub fn family(&mut self, name: &str, help: &str, kind: &str, samples: &[(String, f64)]) -> &mut Self {
        let _ = writeln!(self.text, "# HELP {name} {help}");
        let _ = writeln!(self.text, "# TYPE {name} {kind}");
        for (labels, value) in samples {
            let _ = writeln!(self.text, "{name}{labels} {value}");
        }
        self
    }

    pub fn into_string(self) -> String {
        self.text
    }
}

impl IntoResponse for PrometheusText {
    fn into_response(self) -> Response {
        ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], self.text).into_response()
    }
}
