//! `/metrics`: the Prometheus text format, read by a strict reader of the
//! format here (and, where Python's `prometheus_client` is installed, by
//! that parser too); its counters grow with traffic, its route label is a
//! pattern, never a path with an id; it is refused to an address that is
//! not allowed, unless the token comes with the request.
//!
//! (The `prometheus-parse` crate was tried and left: it cannot read a
//! label value holding `}`, which the format allows and a route pattern
//! such as `/handoffs/{id}` holds.)

use std::collections::{BTreeSet, HashMap};

use reqwest::Method;
use serde_json::json;

use crate::common::{Backend, TestApp};

const TOKEN: &str = "metrics-scrape-token-0123456789";

/// One sample: its name (with any `_bucket`, `_sum`, `_count`), labels,
/// value, and the type of its family.
#[derive(Debug)]
struct Sample {
    name: String,
    kind: String,
    labels: HashMap<String, String>,
    value: f64,
}

/// `/metrics` as Prometheus would read it.
async fn scrape(app: &TestApp) -> Vec<Sample> {
    let res = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(res.status(), 200);
    let kind = res.headers()["content-type"].to_str().unwrap().to_owned();
    assert!(kind.starts_with("text/plain; version=0.0.4"), "{kind}");
    let text = res.text().await.unwrap();
    let samples = parse_strictly(&text);
    cross_check_with_python(&text, samples.len());
    samples
}

/// Reads the text format by its rules, failing on any breach: every sample
/// belongs to the family whose `TYPE` came last, a family is declared once,
/// names and labels are well formed, label values are quoted and escaped,
/// values are numbers, and each histogram's buckets grow up to `+Inf`,
/// which equals its `_count`.
fn parse_strictly(text: &str) -> Vec<Sample> {
    assert!(text.ends_with('\n'));
    let name_ok = |n: &str| {
        !n.is_empty()
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
            && !n.starts_with(|c: char| c.is_ascii_digit())
    };
    let mut declared = BTreeSet::new();
    let mut current: Option<(String, String)> = None;
    let mut samples = vec![];
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').unwrap();
            assert!(name_ok(name), "{line}");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            assert!(declared.insert(name.to_owned()), "{name} declared twice");
            current = Some((name.to_owned(), kind.to_owned()));
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(!declared.contains(name), "HELP of {name} after its TYPE");
            continue;
        }
        assert!(
            !line.is_empty() && !line.starts_with('#'),
            "stray line {line:?}"
        );
        let name_end = line.find(['{', ' ']).unwrap_or_else(|| panic!("{line}"));
        let name = &line[..name_end];
        let mut rest = &line[name_end..];
        let mut labels = HashMap::new();
        if let Some(inner) = rest.strip_prefix('{') {
            rest = inner;
            while !rest.starts_with('}') {
                let (label, after) = rest.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(name_ok(label), "label {label:?} in {line}");
                let mut value = String::new();
                let mut chars = after.char_indices();
                let end = loop {
                    match chars.next() {
                        Some((_, '\\')) => match chars.next() {
                            Some((_, 'n')) => value.push('\n'),
                            Some((_, c @ ('\\' | '"'))) => value.push(c),
                            other => panic!("bad escape {other:?} in {line}"),
                        },
                        Some((at, '"')) => break at,
                        Some((_, c)) => value.push(c),
                        None => panic!("unterminated label value in {line}"),
                    }
                };
                assert!(labels.insert(label.to_owned(), value).is_none(), "{line}");
                rest = &after[end + 1..];
                rest = rest.strip_prefix(',').unwrap_or(rest);
            }
            rest = &rest[1..];
        }
        let value = rest.strip_prefix(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v.parse().unwrap_or_else(|_| panic!("value of {line}")),
        };
        let (family, kind) = current.clone().expect("a TYPE before the first sample");
        let suffix = name
            .strip_prefix(family.as_str())
            .unwrap_or_else(|| panic!("{name} outside {family}"));
        match kind.as_str() {
            "histogram" => assert!(["_bucket", "_sum", "_count"].contains(&suffix), "{line}"),
            _ => assert_eq!(suffix, "", "{line}"),
        }
        assert_eq!(suffix == "_bucket", labels.contains_key("le"), "{line}");
        samples.push(Sample {
            name: name.to_owned(),
            kind,
            labels,
            value,
        });
    }
    // Histograms: cumulative buckets up to +Inf, which is the count.
    let mut buckets: HashMap<String, Vec<(f64, f64)>> = HashMap::new();
    let mut counts: HashMap<String, f64> = HashMap::new();
    for s in samples.iter().filter(|s| s.kind == "histogram") {
        let mut key: Vec<String> = s
            .labels
            .iter()
            .filter(|(l, _)| *l != "le")
            .map(|(l, v)| format!("{l}={v}"))
            .collect();
        key.sort();
        let key = key.join(",");
        if s.name.ends_with("_bucket") {
            let le = &s.labels["le"];
            let le: f64 = if le == "+Inf" {
                f64::INFINITY
            } else {
                le.parse().unwrap()
            };
            buckets.entry(key).or_default().push((le, s.value));
        } else if s.name.ends_with("_count") {
            counts.insert(key, s.value);
        }
    }
    for (key, list) in &buckets {
        assert!(
            list.windows(2).all(|w| w[0].0 < w[1].0 && w[0].1 <= w[1].1),
            "{key}: {list:?}"
        );
        assert_eq!(list.last().unwrap().0, f64::INFINITY, "{key}");
        assert_eq!(
            Some(&list.last().unwrap().1),
            counts.get(key),
            "{key}: +Inf and _count"
        );
    }
    samples
}

/// The same text through Python's `prometheus_client` parser, when it is
/// installed (said on standard error when it is not; a failure when
/// `BATON_METRICS_CROSSCHECK_REQUIRED` is set, as CI sets it): it reads as
/// many samples.
fn cross_check_with_python(text: &str, expected: usize) {
    use std::io::Write;
    let required = std::env::var_os("BATON_METRICS_CROSSCHECK_REQUIRED").is_some();
    let script = "import sys\nfrom prometheus_client.parser import text_string_to_metric_families as p\n\
                  print(sum(len(f.samples) for f in p(sys.stdin.read())))";
    let child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let Ok(mut child) = child else {
        assert!(!required, "no python3 for the cross-check");
        eprintln!("not cross-checked: no python3");
        return;
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("No module named 'prometheus_client'") {
        assert!(!required, "prometheus_client is not installed");
        eprintln!("not cross-checked: prometheus_client is not installed");
        return;
    }
    assert!(
        out.status.success(),
        "prometheus_client refused the text: {err}"
    );
    let read: usize = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
    assert_eq!(
        read, expected,
        "prometheus_client read another number of samples"
    );
}

fn counter(samples: &[Sample], route: &str, method: &str, status: &str) -> f64 {
    samples
        .iter()
        .filter(|s| s.name == "baton_http_requests_total" && s.kind == "counter")
        .filter(|s| {
            s.labels.get("route").map(String::as_str) == Some(route)
                && s.labels.get("method").map(String::as_str) == Some(method)
                && s.labels.get("status").map(String::as_str) == Some(status)
        })
        .map(|s| s.value)
        .sum()
}

fn gauge(samples: &[Sample], metric: &str, labels: &[(&str, &str)]) -> Option<f64> {
    samples
        .iter()
        .find(|s| {
            s.name == metric
                && labels
                    .iter()
                    .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| {
            assert_eq!(s.kind, "gauge", "{metric}");
            s.value
        })
}

backend_tests! {
    async fn metrics_parse_as_prometheus_text_and_their_counters_grow_with_traffic(app) {
        let (alice, bob, _carol) = app.alice_bob_carol();
        let created = app
            .create_handoff(
                &alice,
                json!({"kind": "outage", "title": "Disk full on the primary", "severity": 2,
                       "issues": [], "note": {"body": "Pruning WAL.", "pass_to": "bob"}}),
            )
            .await;
        let id = created["id"].as_str().unwrap().to_owned();
        let before = scrape(&app).await;
        for _ in 0..3 {
            let res = reqwest::get(app.url(&format!("/handoffs/{id}"))).await.unwrap();
            assert_eq!(res.status(), 200);
        }
        let (status, _) = app.get_json(&format!("/api/v1/handoffs/{id}"), &alice).await;
        assert_eq!(status, 200);
        let missing = reqwest::get(app.url("/handoffs/0193aaaa-bbbb-7ccc-8ddd-eeeeffff0001")).await.unwrap();
        assert_eq!(missing.status(), 404);
        let lost = reqwest::get(app.url(&format!("/nowhere/{id}"))).await.unwrap();
        assert_eq!(lost.status(), 404);
        let after = scrape(&app).await;

        let page = "/handoffs/{id}";
        assert_eq!(counter(&after, page, "GET", "200") - counter(&before, page, "GET", "200"), 3.0);
        assert_eq!(counter(&after, page, "GET", "404") - counter(&before, page, "GET", "404"), 1.0);
        assert_eq!(counter(&after, "/api/v1/handoffs/{id}", "GET", "200"), 1.0);
        assert_eq!(counter(&after, "unmatched", "GET", "404"), 1.0);
        assert_eq!(counter(&after, "/metrics", "GET", "200"), 1.0, "the first scrape is counted");
        let count = after
            .iter()
            .find(|s| s.name == "baton_http_request_duration_seconds_count" && s.labels["route"] == page)
            .expect("a duration histogram for the page's pattern");
        let before_count = before
            .iter()
            .find(|s| s.name == "baton_http_request_duration_seconds_count" && s.labels["route"] == page)
            .map_or(0.0, |s| s.value);
        assert_eq!(count.value - before_count, 4.0);

        // No label holds a raw path: every route label is a pattern of the
        // route table, or `unmatched`.
        let patterns: BTreeSet<&str> = baton::routes::all().map(|r| r.path).chain(["unmatched"]).collect();
        for sample in &after {
            if let Some(route) = sample.labels.get("route") {
                assert!(patterns.contains(route.as_str()), "route label {route:?}");
            }
        }
        let text = reqwest::get(app.url("/metrics")).await.unwrap().text().await.unwrap();
        assert!(!text.contains(&id) && !text.contains("0193aaaa") && !text.contains("nowhere"));

        assert_eq!(gauge(&after, "baton_handoffs_open", &[("kind", "outage"), ("severity", "2")]), Some(1.0));
        assert_eq!(gauge(&after, "baton_handoffs_open", &[("kind", "outage"), ("severity", "1")]), Some(0.0));
        assert_eq!(gauge(&after, "baton_passes_pending", &[]), Some(1.0));
        assert!(gauge(&after, "baton_pass_oldest_pending_seconds", &[]).unwrap() >= 0.0);
        assert_eq!(gauge(&after, "baton_database_up", &[]), Some(1.0));
        let escalations = after.iter().find(|s| s.name == "baton_escalations_total").expect("baton_escalations_total");
        assert_eq!((escalations.kind.as_str(), escalations.value), ("counter", 0.0));
        assert_eq!(gauge(&after, "baton_outbox_pending", &[]), Some(0.0));
        assert!(gauge(&after, "process_resident_memory_bytes", &[]).unwrap() > 1e6);
        assert!(gauge(&after, "process_open_fds", &[]).unwrap() > 0.0);
        let started = gauge(&after, "process_start_time_seconds", &[]).unwrap();
        assert!(started <= chrono::Utc::now().timestamp() as f64 + 1.0 && started > 1.7e9);

        // Acknowledged, the pass no longer waits.
        let (status, _) = app
            .send_json(Method::POST, &format!("/api/v1/handoffs/{id}/acknowledge"), &bob, &json!({}))
            .await;
        assert_eq!(status, 200);
        let acknowledged = scrape(&app).await;
        assert_eq!(gauge(&acknowledged, "baton_passes_pending", &[]), Some(0.0));
        assert_eq!(gauge(&acknowledged, "baton_pass_oldest_pending_seconds", &[]), Some(0.0));
    }
}

/// A GET of `/metrics` as if from `client` behind the proxy on loopback.
async fn from(app: &TestApp, client: &str, token: Option<&str>) -> u16 {
    let mut req = reqwest::Client::new()
        .get(app.url("/metrics"))
        .header("X-Forwarded-For", client);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn metrics_are_refused_to_an_address_not_allowed_unless_it_brings_the_token() {
    let app = TestApp::spawn_with(
        Backend::Sqlite,
        &[
            ("BATON_TRUSTED_PROXIES", "127.0.0.1"),
            ("BATON_METRICS_ALLOW", "192.0.2.0/24"),
            ("BATON_METRICS_TOKEN", TOKEN),
        ],
    )
    .await
    .unwrap();
    assert_eq!(from(&app, "203.0.113.9", None).await, 403);
    assert_eq!(from(&app, "203.0.113.9", Some(TOKEN)).await, 200);
    assert_eq!(
        from(
            &app,
            "203.0.113.9",
            Some("metrics-scrape-token-wrong-guess")
        )
        .await,
        401
    );
    assert_eq!(from(&app, "192.0.2.44", None).await, 200, "an allowed CIDR");
    assert_eq!(
        from(&app, "127.0.0.1", None).await,
        200,
        "loopback behind the proxy"
    );
    let direct = reqwest::get(app.url("/metrics")).await.unwrap();
    assert_eq!(direct.status(), 200, "loopback itself");
    let refused = reqwest::Client::new()
        .get(app.url("/metrics"))
        .header("X-Forwarded-For", "203.0.113.9")
        .send()
        .await
        .unwrap();
    let body = refused.text().await.unwrap();
    assert!(
        body.contains("BATON_METRICS_ALLOW") && !body.contains("baton_"),
        "{body}"
    );
}

#[tokio::test]
async fn a_proxy_baton_was_not_told_to_trust_does_not_pass_for_loopback() {
    let app = TestApp::spawn_with(Backend::Sqlite, &[]).await.unwrap();
    assert_eq!(
        reqwest::get(app.url("/metrics")).await.unwrap().status(),
        200
    );
    assert_eq!(from(&app, "203.0.113.9", None).await, 403);
    assert_eq!(
        from(&app, "127.0.0.1", None).await,
        403,
        "a forwarded request's client is unknown"
    );
    assert_eq!(
        from(&app, "203.0.113.9", Some(TOKEN)).await,
        403,
        "no token is configured"
    );
}
