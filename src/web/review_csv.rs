//! `/review.csv` (the weekly review's figures, one row each) and
//! `/review/load.csv` (the on-call load, one row per person, for payroll):
//! the same figures as `/review`, for the same `?week=` or `?from=&to=`.

use actix_web::{HttpResponse, web};

use crate::db::models::review::{self, Review};
use crate::domain::time::{self, rfc3339};
use crate::error::AppError;
use crate::web::review::ReviewQuery;
use crate::web::{AppState, Viewer};

/// A CSV field: quoted when it must be, and never read as a formula by a
/// spreadsheet.
fn csv_field(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

fn csv_line(fields: &[String]) -> String {
    let mut line = fields
        .iter()
        .map(|f| csv_field(f))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

fn csv_response(body: String, name: &str) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}\""),
        ))
        .body(body)
}

async fn compute(state: &web::Data<AppState>, query: ReviewQuery) -> Result<Review, AppError> {
    let now = time::now();
    let range = query.range(now)?;
    state
        .db
        .run(move |conn| review::review(conn, range, now))
        .await
}

fn opt(v: Option<i64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

/// The review's figures as CSV rows: `figure,kind,severity,value`.
pub fn review_csv(r: &Review) -> String {
    let mut out = csv_line(&[
        "figure".into(),
        "kind".into(),
        "severity".into(),
        "value".into(),
    ]);
    let mut row = |figure: &str, kind: &str, severity: String, value: String| {
        out.push_str(&csv_line(&[figure.into(), kind.into(), severity, value]));
    };
    row("from", "", String::new(), rfc3339(r.range.from));
    row("to", "", String::new(), rfc3339(r.range.to));
    for c in &r.opened {
        row(
            "opened",
            &c.kind,
            c.severity.to_string(),
            c.count.to_string(),
        );
    }
    for c in &r.resolved {
        row(
            "resolved",
            &c.kind,
            c.severity.to_string(),
            c.count.to_string(),
        );
    }
    row("passes", "", String::new(), r.passes.to_string());
    row(
        "passes_acknowledged",
        "",
        String::new(),
        r.ack.count.to_string(),
    );
    row("ack_median_seconds", "", String::new(), opt(r.ack.median));
    row("ack_p90_seconds", "", String::new(), opt(r.ack.p90));
    row("ack_max_seconds", "", String::new(), opt(r.ack.max));
    row(
        "passes_escalated",
        "",
        String::new(),
        r.escalated.to_string(),
    );
    row(
        "carry_over",
        "",
        String::new(),
        r.carry_over.total.to_string(),
    );
    row(
        "carry_over_handoffs",
        "",
        String::new(),
        r.carry_over.handoffs.to_string(),
    );
    row(
        "carry_over_most",
        "",
        String::new(),
        r.carry_over.most.to_string(),
    );
    row(
        "open_older_than_week",
        "",
        String::new(),
        r.open_older_than_week.to_string(),
    );
    for (kind, n) in r.events_per_kind() {
        row("events", kind, String::new(), n.to_string());
    }
    out
}

/// `GET /review.csv`.
pub async fn review_csv_file(
    state: web::Data<AppState>,
    _viewer: Viewer,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let r = compute(&state, query.into_inner()).await?;
    Ok(csv_response(
        review_csv(&r),
        &format!("review-{}.csv", r.range.week_name()),
    ))
}

/// `GET /review/load.csv`: one row per person, for payroll.
pub async fn load_csv_file(
    state: web::Data<AppState>,
    _viewer: Viewer,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let r = compute(&state, query.into_inner()).await?;
    let mut out = csv_line(
        &[
            "username",
            "name",
            "timezone",
            "from",
            "to",
            "hours_on_call",
            "night_hours",
            "weekend_hours",
            "passes_received",
            "passes_acknowledged",
            "ack_median_seconds",
            "ack_p90_seconds",
            "escalations",
            "cover_taken",
            "cover_given",
        ]
        .map(String::from),
    );
    for p in &r.load {
        out.push_str(&csv_line(&[
            p.user.username.clone(),
            p.user.name.clone(),
            p.user.timezone.name().to_owned(),
            rfc3339(r.range.from),
            rfc3339(r.range.to),
            format!("{:.2}", p.hours.total as f64 / 3600.0),
            format!("{:.2}", p.hours.night as f64 / 3600.0),
            format!("{:.2}", p.hours.weekend as f64 / 3600.0),
            p.passes_received.to_string(),
            p.ack.count.to_string(),
            opt(p.ack.median),
            opt(p.ack.p90),
            p.escalations.to_string(),
            p.cover_taken.to_string(),
            p.cover_given.to_string(),
        ]));
    }
    Ok(csv_response(
        out,
        &format!("load-{}.csv", r.range.week_name()),
    ))
}
