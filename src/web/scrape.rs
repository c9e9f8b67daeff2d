//! `GET /metrics`: Baton's health in the Prometheus text format, for the
//! monitoring production engineers already run.
//!
//! Who may read it: a client on loopback or in `BATON_METRICS_ALLOW`, or
//! anyone with `Authorization: Bearer` and `BATON_METRICS_TOKEN`. The
//! client address is the one `BATON_TRUSTED_PROXIES` lets Baton believe; a
//! request that came through a proxy Baton was not told to trust
//! (`X-Forwarded-For` from an untrusted peer) is never taken for loopback,
//! so a reverse proxy on the same machine does not make the metrics public
//! by accident.

use std::net::IpAddr;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};

use super::AppState;
use super::hooks::same_secret;
use super::metrics::{Exposition, HttpMetrics};
use crate::config::Settings;
use crate::db::models::gauges::{self, Gauges};
use crate::domain::handoff::{Kind, Severity};
use crate::domain::time;

/// The content type of the text exposition format.
const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub async fn show_metrics(
    req: HttpRequest,
    state: web::Data<AppState>,
    http: web::Data<HttpMetrics>,
) -> HttpResponse {
    match may_read(&req, &state.settings) {
        Reader::Allowed => {}
        Reader::WrongToken => {
            return HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Bearer"))
                .content_type("text/plain; charset=utf-8")
                .body("wrong metrics token\n");
        }
        Reader::Refused => {
            return HttpResponse::Forbidden()
                .content_type("text/plain; charset=utf-8")
                .body(
                    "/metrics is read from loopback, from BATON_METRICS_ALLOW, \
                     or with the bearer token BATON_METRICS_TOKEN\n",
                );
        }
    }
    let db = state.db.clone();
    let read = web::block(move || {
        let mut conn = db.conn().map_err(|e| e.to_string())?;
        gauges::read(&mut conn).map_err(|e| e.to_string())
    })
    .await;
    let mut out = Exposition::default();
    http.write(&mut out);
    out.family(
        "baton_database_up",
        "gauge",
        "Whether the database answered this scrape (1) or not (0).",
    );
    match read {
        Ok(Ok(found)) => {
            out.sample("baton_database_up", &[], 1.0);
            write_gauges(&mut out, &found, state.settings.live.reads_issues());
        }
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "metrics: the database did not answer");
            out.sample("baton_database_up", &[], 0.0);
        }
        Err(e) => {
            tracing::warn!(error = %e, "metrics: the database read was cancelled");
            out.sample("baton_database_up", &[], 0.0);
        }
    }
    write_process(&mut out);
    HttpResponse::Ok()
        .content_type(CONTENT_TYPE)
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .body(out.finish())
}

/// What may be said to the caller.
#[derive(Debug, PartialEq, Eq)]
enum Reader {
    Allowed,
    WrongToken,
    Refused,
}

fn may_read(req: &HttpRequest, settings: &Settings) -> Reader {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| {
            v.strip_prefix("Bearer ")
                .or_else(|| v.strip_prefix("bearer "))
        })
        .map(str::trim);
    if let (Some(given), Some(token)) = (bearer, &settings.metrics_token) {
        return if same_secret(given, token.expose()) {
            Reader::Allowed
        } else {
            Reader::WrongToken
        };
    }
    let peer = req.peer_addr().map(|a| a.ip().to_canonical());
    let forwarded = req.headers().contains_key("x-forwarded-for")
        || req.headers().contains_key(header::FORWARDED)
        || req.headers().contains_key("x-real-ip");
    let trusted = |ip: &IpAddr| settings.trusted_proxies.iter().any(|n| n.contains(ip));
    let client = match peer {
        Some(peer) if forwarded && trusted(&peer) => super::identity::client_address(req)
            .parse::<IpAddr>()
            .ok()
            .map(|ip| ip.to_canonical()),
        // Through a proxy Baton does not trust: the real client is unknown.
        Some(_) if forwarded => None,
        other => other,
    };
    match client {
        Some(ip) if ip.is_loopback() || settings.metrics_allow.iter().any(|n| n.contains(&ip)) => {
            Reader::Allowed
        }
        _ => Reader::Refused,
    }
}

/// The data's gauges.
fn write_gauges(out: &mut Exposition, found: &Gauges, reads_gitlab: bool) {
    out.family(
        "baton_handoffs_open",
        "gauge",
        "Open handoffs, by kind and severity.",
    );
    for kind in Kind::ALL {
        for severity in Severity::ALL {
            let count = found
                .open
                .iter()
                .find(|(k, s, _)| k == kind.as_str() && *s == severity.get())
                .map_or(0, |(_, _, n)| *n);
            let severity = severity.get().to_string();
            out.sample(
                "baton_handoffs_open",
                &[("kind", kind.as_str()), ("severity", &severity)],
                count as f64,
            );
        }
    }
    out.family(
        "baton_passes_pending",
        "gauge",
        "Passes of open handoffs not yet acknowledged by their recipient.",
    );
    out.sample("baton_passes_pending", &[], found.passes_pending as f64);
    out.family(
        "baton_pass_oldest_pending_seconds",
        "gauge",
        "How long the oldest unacknowledged pass has waited (0 when none waits).",
    );
    let waited = found.oldest_pending_since.map_or(0.0, |since| {
        (time::now() - since).num_milliseconds().max(0) as f64 / 1e3
    });
    out.sample("baton_pass_oldest_pending_seconds", &[], waited);
    if reads_gitlab && let Some(at) = found.gitlab_last_success {
        out.family(
            "baton_gitlab_last_success_timestamp_seconds",
            "gauge",
            "When GitLab's API last answered a read (Unix time).",
        );
        out.sample(
            "baton_gitlab_last_success_timestamp_seconds",
            &[],
            at.timestamp_millis() as f64 / 1e3,
        );
    }
    out.family(
        "baton_escalations_total",
        "counter",
        "Escalations of unacknowledged passes so far.",
    );
    out.sample("baton_escalations_total", &[], found.escalations as f64);
    out.family(
        "baton_outbox_pending",
        "gauge",
        "Chat messages not yet delivered (waiting for an attempt, or being sent).",
    );
    out.sample("baton_outbox_pending", &[], found.outbox_pending as f64);
}

/// The process's own metrics, read from `/proc/self` (Linux); a file that
/// cannot be read leaves its metric out.
fn write_process(out: &mut Exposition) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let rss_kib = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok());
    if let Some(kib) = rss_kib {
        out.family(
            "process_resident_memory_bytes",
            "gauge",
            "Resident memory size in bytes.",
        );
        out.sample("process_resident_memory_bytes", &[], (kib * 1024) as f64);
    }
    if let Ok(entries) = std::fs::read_dir("/proc/self/fd") {
        out.family(
            "process_open_fds",
            "gauge",
            "Number of open file descriptors.",
        );
        out.sample("process_open_fds", &[], entries.count() as f64);
    }
    if let Some(start) = process_start_time() {
        out.family(
            "process_start_time_seconds",
            "gauge",
            "Start time of the process since the Unix epoch, in seconds.",
        );
        out.sample("process_start_time_seconds", &[], start);
    }
}

/// The process's start: its start in clock ticks after boot
/// (`/proc/self/stat`, field 22) plus the boot time (`/proc/stat`).
fn process_start_time() -> Option<f64> {
    // USER_HZ: the unit of /proc's clock ticks, 100 on every Linux
    // architecture's user-space ABI.
    const TICKS_PER_SECOND: f64 = 100.0;
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces and parentheses: count
    // the fields after its closing parenthesis, where field 3 begins.
    let after_name = &stat[stat.rfind(')')? + 1..];
    let ticks: f64 = after_name.split_whitespace().nth(19)?.parse().ok()?;
    let boot: f64 = std::fs::read_to_string("/proc/stat")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("btime "))?
        .trim()
        .parse()
        .ok()?;
    Some(boot + ticks / TICKS_PER_SECOND)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_started_in_the_past_and_holds_memory_and_files() {
        let start = process_start_time().unwrap();
        let now = time::now().timestamp() as f64;
        assert!(
            start <= now + 1.0 && start > now - 86_400.0 * 365.0,
            "{start}"
        );
        let mut out = Exposition::default();
        write_process(&mut out);
        let text = out.finish();
        assert!(text.contains("process_resident_memory_bytes "), "{text}");
        assert!(text.contains("process_open_fds "), "{text}");
    }

    #[test]
    fn every_kind_and_severity_has_a_series_even_at_zero() {
        let found = Gauges {
            open: vec![("outage".into(), 1, 3)],
            ..Gauges::default()
        };
        let mut out = Exposition::default();
        write_gauges(&mut out, &found, false);
        let text = out.finish();
        assert!(text.contains("baton_handoffs_open{kind=\"outage\",severity=\"1\"} 3\n"));
        assert!(
            text.contains("baton_handoffs_open{kind=\"perceived_data_loss\",severity=\"4\"} 0\n")
        );
        assert!(text.contains("baton_pass_oldest_pending_seconds 0\n"));
        assert!(
            !text.contains("baton_gitlab_last_success"),
            "not without GitLab reads"
        );
    }
}
