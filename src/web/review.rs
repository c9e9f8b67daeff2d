//! `/review`: the weekly review (issue 15, items 3 and 4) for a team week
//! (`?week=`) or any range (`?from=&to=`), its figures as `/review.csv`
//! and the on-call load per person as `/review/load.csv`. The figures are
//! `db::models::review`'s; what they mean is written in `domain::review`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::models::review::{self, Review};
use crate::domain::handoff::Kind;
use crate::domain::review::{Range, parse_range};
use crate::domain::time::{self, TimeView, Timezone, date_text, human_duration, rfc3339};
use crate::error::AppError;
use crate::web::charts::{Series, line_chart};
use crate::web::{AppState, FormErrors, Layout, Viewer, render_page};

/// The range asked for, as given.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ReviewQuery {
    /// A date: the team week that holds it.
    #[serde(default)]
    pub week: Option<String>,
    /// RFC 3339, with `to`.
    #[serde(default)]
    pub from: Option<String>,
    /// RFC 3339, exclusive.
    #[serde(default)]
    pub to: Option<String>,
    /// The viewer's chosen zone (kept by the forms).
    #[serde(default)]
    pub tz: Option<String>,
}

impl ReviewQuery {
    /// The range, or the field that is wrong.
    pub fn range(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Range, AppError> {
        Ok(parse_range(
            self.week.as_deref(),
            self.from.as_deref(),
            self.to.as_deref(),
            now,
        )?)
    }
}

/// Seconds as hours with one decimal.
pub fn hours_text(seconds: i64) -> String {
    format!("{:.1}", seconds as f64 / 3600.0)
}

fn wait_text(seconds: Option<i64>) -> String {
    seconds.map_or_else(
        || "—".to_owned(),
        |s| human_duration(chrono::Duration::seconds(s)),
    )
}

fn kind_label(kind: &str) -> String {
    Kind::parse(kind).map_or_else(|_| kind.to_owned(), |k| k.label().to_owned())
}

fn short_date(at: chrono::DateTime<chrono::Utc>) -> String {
    let d = Timezone::UTC.date(at);
    format!("{:02}-{:02}", d.month(), d.day())
}

/// A count of one kind and severity.
pub struct KindRow {
    kind: String,
    severity: i32,
    count: i64,
}

/// One of the slowest acknowledgements.
pub struct SlowRow {
    handoff_id: String,
    note_id: String,
    title: String,
    to: String,
    at: TimeView,
    wait: String,
}

/// One person's load.
pub struct LoadRow {
    name: String,
    username: String,
    zone: String,
    hours: String,
    night: String,
    weekend: String,
    passes: i64,
    acknowledged: usize,
    median: String,
    escalations: i64,
    cover_taken: i64,
    cover_given: i64,
    weekly: Vec<String>,
}

/// Everything the page shows of a review.
pub struct ReviewView {
    heading: String,
    from: TimeView,
    to: TimeView,
    is_week: bool,
    previous_week: String,
    next_week: String,
    range_query: String,
    opened: Vec<KindRow>,
    opened_total: i64,
    resolved: Vec<KindRow>,
    resolved_total: i64,
    passes: i64,
    acknowledged: usize,
    median: String,
    p90: String,
    max: String,
    escalated: i64,
    slowest: Vec<SlowRow>,
    carry_total: usize,
    carry_handoffs: usize,
    carry_most: usize,
    older_than_week: i64,
    events: Vec<(&'static str, i64)>,
    ack_chart: String,
    ack_rows: Vec<(String, usize, String, String)>,
    open_chart: String,
    open_rows: Vec<(String, i64)>,
    load: Vec<LoadRow>,
    week_labels: Vec<String>,
    hours_chart: String,
}

fn kind_rows(rows: &[review::KindCount]) -> (Vec<KindRow>, i64) {
    let total = rows.iter().map(|r| r.count).sum();
    (
        rows.iter()
            .map(|r| KindRow {
                kind: kind_label(&r.kind),
                severity: r.severity,
                count: r.count,
            })
            .collect(),
        total,
    )
}

impl ReviewView {
    fn new(r: &Review, tz: Timezone) -> ReviewView {
        let range = r.range;
        let week = Range::week_at(range.last());
        let heading = if range.is_week() {
            format!("Week of {}", date_text(Timezone::UTC.date(range.from)))
        } else {
            format!("{} to {} (UTC)", rfc3339(range.from), rfc3339(range.to))
        };
        let (opened, opened_total) = kind_rows(&r.opened);
        let (resolved, resolved_total) = kind_rows(&r.resolved);
        let minutes = |s: Option<i64>| s.map(|s| s as f64 / 60.0);
        let week_labels: Vec<String> = r
            .ack_weeks
            .iter()
            .map(|w| short_date(w.week.from))
            .collect();
        let ack_chart = line_chart(
            "Time to acknowledge a pass, last 12 weeks",
            "ack-table",
            "minutes",
            &week_labels,
            &[
                Series {
                    name: "median".into(),
                    values: r
                        .ack_weeks
                        .iter()
                        .map(|w| minutes(w.spread.median))
                        .collect(),
                },
                Series {
                    name: "p90".into(),
                    values: r.ack_weeks.iter().map(|w| minutes(w.spread.p90)).collect(),
                },
            ],
        );
        let day_labels: Vec<String> = r
            .open_per_day
            .iter()
            .map(|d| short_date(d.day.from))
            .collect();
        let open_chart = line_chart(
            "Open handoffs at the end of each day (UTC)",
            "open-table",
            "handoffs",
            &day_labels,
            &[Series {
                name: "open".into(),
                values: r.open_per_day.iter().map(|d| Some(d.open as f64)).collect(),
            }],
        );
        let load_week_labels: Vec<String> =
            r.load_weeks.iter().map(|w| short_date(w.from)).collect();
        let hours_chart = line_chart(
            "Hours on call per person, last 12 weeks",
            "hours-table",
            "hours",
            &load_week_labels,
            &r.load
                .iter()
                .map(|p| Series {
                    name: p.user.name.clone(),
                    values: p.weekly.iter().map(|s| Some(*s as f64 / 3600.0)).collect(),
                })
                .collect::<Vec<_>>(),
        );
        let week_query = |w: Range| format!("?week={}", time::iso_date(Timezone::UTC.date(w.from)));
        ReviewView {
            heading,
            from: TimeView::new(range.from, tz),
            to: TimeView::new(range.to, tz),
            is_week: range.is_week(),
            previous_week: week_query(Range::week_at(week.from - chrono::Duration::days(1))),
            next_week: week_query(Range::week_at(week.to)),
            range_query: if range.is_week() {
                week_query(range)
            } else {
                format!("?from={}&to={}", rfc3339(range.from), rfc3339(range.to))
            },
            opened,
            opened_total,
            resolved,
            resolved_total,
            passes: r.passes,
            acknowledged: r.ack.count,
            median: wait_text(r.ack.median),
            p90: wait_text(r.ack.p90),
            max: wait_text(r.ack.max),
            escalated: r.escalated,
            slowest: r
                .slowest
                .iter()
                .map(|s| SlowRow {
                    handoff_id: s.handoff_id.clone(),
                    note_id: s.note_id.clone(),
                    title: s.title.clone(),
                    to: s.to.clone(),
                    at: TimeView::new(s.written, tz),
                    wait: wait_text(Some(s.seconds)),
                })
                .collect(),
            carry_total: r.carry_over.total,
            carry_handoffs: r.carry_over.handoffs,
            carry_most: r.carry_over.most,
            older_than_week: r.open_older_than_week,
            events: r.events_per_kind(),
            ack_chart,
            ack_rows: r
                .ack_weeks
                .iter()
                .map(|w| {
                    (
                        date_text(Timezone::UTC.date(w.week.from)),
                        w.spread.count,
                        wait_text(w.spread.median),
                        wait_text(w.spread.p90),
                    )
                })
                .collect(),
            open_chart,
            open_rows: r
                .open_per_day
                .iter()
                .map(|d| (date_text(Timezone::UTC.date(d.day.from)), d.open))
                .collect(),
            load: r
                .load
                .iter()
                .map(|p| LoadRow {
                    name: p.user.name.clone(),
                    username: p.user.username.clone(),
                    zone: p.user.timezone.name().to_owned(),
                    hours: hours_text(p.hours.total),
                    night: hours_text(p.hours.night),
                    weekend: hours_text(p.hours.weekend),
                    passes: p.passes_received,
                    acknowledged: p.ack.count,
                    median: wait_text(p.ack.median),
                    escalations: p.escalations,
                    cover_taken: p.cover_taken,
                    cover_given: p.cover_given,
                    weekly: p.weekly.iter().map(|s| hours_text(*s)).collect(),
                })
                .collect(),
            week_labels: load_week_labels,
            hours_chart,
        }
    }
}

#[derive(Template)]
#[template(path = "review.html")]
struct ReviewPage {
    layout: Layout,
    week: String,
    from: String,
    to: String,
    errors: FormErrors,
    view: Option<ReviewView>,
}

fn load_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    query: &ReviewQuery,
) -> Result<ReviewPage, AppError> {
    let now = time::now();
    let mut errors = FormErrors::default();
    let view = match query.range(now) {
        Ok(range) => Some(ReviewView::new(
            &review::review(conn, range, now)?,
            viewer.tz,
        )),
        Err(e) => {
            errors.absorb("week", e)?;
            None
        }
    };
    Ok(ReviewPage {
        layout: Layout::load(conn, state, viewer, "Weekly review")?,
        week: query.week.clone().unwrap_or_default(),
        from: query.from.clone().unwrap_or_default(),
        to: query.to.clone().unwrap_or_default(),
        errors,
        view,
    })
}

/// `GET /review`.
pub async fn show_review(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<ReviewQuery>,
) -> Result<HttpResponse, AppError> {
    let query = query.into_inner();
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, &query))
        .await?;
    let status = if page.errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    render_page(&page, status)
}
