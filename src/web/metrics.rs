//! The HTTP metrics every request feeds, and the Prometheus text format
//! they are read in.
//!
//! Counting a request costs a few atomic additions: the routes are known
//! when the server is built (the route table), so each route pattern has
//! its own slot, found in a map that is only ever read; each method of it a
//! row of counters by status, made once on its first request. No lock is
//! taken and nothing is allocated per request, and the labels are bounded
//! by the route table: a path no route matched counts as `unmatched`, a
//! method Baton does not serve as `other`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::http::{Method, StatusCode};

/// The route label of a request no route matched: one value, whatever the
/// path was, so that the set of labels stays bounded.
pub const UNMATCHED: &str = "unmatched";

/// The methods counted by name; any other counts as `other`.
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
];

/// The upper bounds of the duration histogram's buckets, in seconds (a
/// last, `+Inf`, bucket follows).
pub const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// The status codes a counter row holds: 100 to 599.
const STATUSES: usize = 500;

type StatusCounts = [AtomicU64; STATUSES];

/// One route pattern's counters.
struct RouteStats {
    /// Per method (as [`METHODS`]): requests by status, made on first use.
    statuses: [OnceLock<Box<StatusCounts>>; METHODS.len()],
    /// Requests per duration bucket (not cumulative); the last is `+Inf`.
    buckets: [AtomicU64; BUCKETS.len() + 1],
    /// The durations added up, in nanoseconds.
    sum_nanos: AtomicU64,
}

impl RouteStats {
    fn new() -> RouteStats {
        RouteStats {
            statuses: std::array::from_fn(|_| OnceLock::new()),
            buckets: std::array::from_fn(|_| AtomicU64::new(0)),
            sum_nanos: AtomicU64::new(0),
        }
    }
}

/// Requests counted by route pattern, method and status, with their
/// durations per route pattern.
pub struct HttpMetrics {
    /// The route patterns, in the order of `stats`; the last is [`UNMATCHED`].
    routes: Vec<&'static str>,
    index: HashMap<&'static str, usize>,
    stats: Box<[RouteStats]>,
}

impl HttpMetrics {
    /// Counters for these route patterns (the route table's paths; a
    /// pattern listed twice, for several methods, has one slot).
    pub fn new(patterns: impl IntoIterator<Item = &'static str>) -> HttpMetrics {
        let mut routes: Vec<&'static str> = vec![];
        let mut index = HashMap::new();
        for pattern in patterns {
            index.entry(pattern).or_insert_with(|| {
                routes.push(pattern);
                routes.len() - 1
            });
        }
        routes.push(UNMATCHED);
        let stats = routes.iter().map(|_| RouteStats::new()).collect();
        HttpMetrics {
            routes,
            index,
            stats,
        }
    }

    /// Counts one request: the pattern the router matched (if any), its
    /// method, status and duration. Returns the route label it counted
    /// under.
    pub fn record(
        &self,
        pattern: Option<&str>,
        method: &Method,
        status: StatusCode,
        elapsed: Duration,
    ) -> &'static str {
        let slot = pattern
            .and_then(|p| self.index.get(p).copied())
            .unwrap_or(self.routes.len() - 1);
        let stats = &self.stats[slot];
        let method = METHODS
            .iter()
            .position(|m| *m == method.as_str())
            .unwrap_or(METHODS.len() - 1);
        let row = stats.statuses[method]
            .get_or_init(|| Box::new(std::array::from_fn(|_| AtomicU64::new(0))));
        let code = usize::from(status.as_u16()).clamp(100, 599) - 100;
        row[code].fetch_add(1, Ordering::Relaxed);
        let seconds = elapsed.as_secs_f64();
        let bucket = BUCKETS
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(BUCKETS.len());
        stats.buckets[bucket].fetch_add(1, Ordering::Relaxed);
        let nanos = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        stats.sum_nanos.fetch_add(nanos, Ordering::Relaxed);
        self.routes[slot]
    }

    /// Writes the request counter and the duration histogram, for the
    /// routes that have served at least one request.
    pub fn write(&self, out: &mut Exposition) {
        out.family(
            "baton_http_requests_total",
            "counter",
            "HTTP requests answered, by route pattern, method and status.",
        );
        for (route, stats) in self.routes.iter().zip(self.stats.iter()) {
            for (method, row) in METHODS.iter().zip(stats.statuses.iter()) {
                let Some(row) = row.get() else { continue };
                for (code, count) in row.iter().enumerate() {
                    let count = count.load(Ordering::Relaxed);
                    if count > 0 {
                        let status = (code + 100).to_string();
                        out.sample(
                            "baton_http_requests_total",
                            &[("route", route), ("method", method), ("status", &status)],
                            count as f64,
                        );
                    }
                }
            }
        }
        out.family(
            "baton_http_request_duration_seconds",
            "histogram",
            "How long requests took to answer, by route pattern.",
        );
        for (route, stats) in self.routes.iter().zip(self.stats.iter()) {
            let counts: Vec<u64> = stats
                .buckets
                .iter()
                .map(|b| b.load(Ordering::Relaxed))
                .collect();
            let total: u64 = counts.iter().sum();
            if total == 0 {
                continue;
            }
            let mut cumulative = 0;
            for (at, count) in counts.iter().enumerate() {
                cumulative += count;
                let le = BUCKETS
                    .get(at)
                    .map_or_else(|| "+Inf".to_owned(), |b| b.to_string());
                out.sample(
                    "baton_http_request_duration_seconds_bucket",
                    &[("route", route), ("le", &le)],
                    cumulative as f64,
                );
            }
            let sum = stats.sum_nanos.load(Ordering::Relaxed) as f64 / 1e9;
            out.sample(
                "baton_http_request_duration_seconds_sum",
                &[("route", route)],
                sum,
            );
            out.sample(
                "baton_http_request_duration_seconds_count",
                &[("route", route)],
                total as f64,
            );
        }
    }
}

/// A Prometheus text exposition (format 0.0.4) being written.
#[derive(Default)]
pub struct Exposition {
    text: String,
}

impl Exposition {
    /// Starts a metric family: its `HELP` and `TYPE` lines.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let help = help.replace('\\', "\\\\").replace('\n', "\\n");
        let _ = writeln!(self.text, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    /// One sample of the current family.
    pub fn sample(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        self.text.push_str(name);
        if !labels.is_empty() {
            self.text.push('{');
            for (at, (label, value)) in labels.iter().enumerate() {
                if at > 0 {
                    self.text.push(',');
                }
                let value = value
                    .replace('\\', "\\\\")
                    .replace('"', "\\\"")
                    .replace('\n', "\\n");
                let _ = write!(self.text, "{label}=\"{value}\"");
            }
            self.text.push('}');
        }
        let _ = writeln!(self.text, " {}", number(value));
    }

    /// The text.
    pub fn finish(self) -> String {
        self.text
    }
}

/// A sample value as the text format writes it.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".into()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        value.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_count_under_their_pattern_and_unknown_ones_under_one_label() {
        let metrics = HttpMetrics::new(["/", "/handoffs/{id}", "/handoffs/{id}"]);
        let ok = StatusCode::OK;
        let fast = Duration::from_micros(700);
        assert_eq!(
            metrics.record(Some("/handoffs/{id}"), &Method::GET, ok, fast),
            "/handoffs/{id}"
        );
        metrics.record(Some("/handoffs/{id}"), &Method::GET, ok, fast);
        metrics.record(
            Some("/handoffs/{id}"),
            &Method::GET,
            StatusCode::NOT_FOUND,
            Duration::from_secs(20),
        );
        let odd = Method::from_bytes(b"BREW").unwrap();
        assert_eq!(metrics.record(None, &odd, ok, fast), UNMATCHED);
        assert_eq!(
            metrics.record(Some("/x/123"), &Method::GET, ok, fast),
            UNMATCHED
        );
        let mut out = Exposition::default();
        metrics.write(&mut out);
        let text = out.finish();
        for line in [
            "baton_http_requests_total{route=\"/handoffs/{id}\",method=\"GET\",status=\"200\"} 2",
            "baton_http_requests_total{route=\"/handoffs/{id}\",method=\"GET\",status=\"404\"} 1",
            "baton_http_requests_total{route=\"unmatched\",method=\"other\",status=\"200\"} 1",
            "baton_http_requests_total{route=\"unmatched\",method=\"GET\",status=\"200\"} 1",
            "baton_http_request_duration_seconds_bucket{route=\"/handoffs/{id}\",le=\"0.001\"} 2",
            "baton_http_request_duration_seconds_bucket{route=\"/handoffs/{id}\",le=\"10\"} 2",
            "baton_http_request_duration_seconds_bucket{route=\"/handoffs/{id}\",le=\"+Inf\"} 3",
            "baton_http_request_duration_seconds_count{route=\"/handoffs/{id}\"} 3",
            "baton_http_request_duration_seconds_sum{route=\"/handoffs/{id}\"} 20.0014",
        ] {
            assert!(text.contains(line), "{line} in\n{text}");
        }
        assert!(!text.contains("/x/123"));
        assert!(!text.contains("route=\"/\""), "an unused route is left out");
    }

    #[test]
    fn label_values_are_escaped() {
        let mut out = Exposition::default();
        out.sample("m", &[("a", "q\"b\\s\nn")], 1.5);
        assert_eq!(out.finish(), "m{a=\"q\\\"b\\\\s\\nn\"} 1.5\n");
    }
}
