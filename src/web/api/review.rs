//! `GET /api/v1/review`: the weekly review's figures and the on-call load
//! as JSON, the same figures as `/review` (`db::models::review`; what they
//! mean: `domain::review`).

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::models::review::{self, KindCount, Review};
use crate::domain::review::{Spread, choose_range};
use crate::domain::time::{self, Timezone, iso_date, parse_date};
use crate::error::AppError;
use crate::web::AppState;
use crate::web::api::contract::{self, schemas};
use crate::web::api::{ApiUser, ts};
use crate::web::respond::{ApiError, ErrorBody};

/// Handoffs of one kind and severity.
#[derive(Debug, Serialize, ToSchema)]
pub struct KindCountJson {
    /// `outage` or `perceived_data_loss`.
    #[schema(schema_with = schemas::kind)]
    pub kind: String,
    /// 1 (critical) and up.
    #[schema(schema_with = schemas::severity)]
    pub severity: i32,
    /// How many.
    pub count: i64,
}

/// Times to acknowledge, in whole seconds (median and p90 by nearest rank).
#[derive(Debug, Serialize, ToSchema)]
pub struct SpreadJson {
    /// How many passes were acknowledged.
    pub acknowledged: usize,
    /// Median, seconds; null when none.
    pub median_seconds: Option<i64>,
    /// 90th percentile, seconds; null when none.
    pub p90_seconds: Option<i64>,
    /// The longest, seconds; null when none.
    pub max_seconds: Option<i64>,
}

impl From<&Spread> for SpreadJson {
    fn from(s: &Spread) -> SpreadJson {
        SpreadJson {
            acknowledged: s.count,
            median_seconds: s.median,
            p90_seconds: s.p90,
            max_seconds: s.max,
        }
    }
}

/// One of the slowest acknowledgements.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlowAckJson {
    /// The handoff.
    #[schema(schema_with = schemas::uuid)]
    pub handoff_id: String,
    /// Its page.
    #[schema(format = Uri)]
    pub url: String,
    /// Its title.
    pub title: String,
    /// The pass (its note).
    #[schema(schema_with = schemas::uuid)]
    pub note_id: String,
    /// Who acknowledged (display name).
    pub to: String,
    /// When the pass was written.
    #[schema(schema_with = schemas::instant)]
    pub passed_at: String,
    /// Seconds to acknowledge.
    pub seconds: i64,
}

/// The passes written in the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct PassesJson {
    /// How many.
    pub written: i64,
    /// How many of them escalated at least once.
    pub escalated: i64,
    /// Time to acknowledge those acknowledged so far.
    pub time_to_acknowledge: SpreadJson,
    /// The slowest five, slowest first.
    pub slowest: Vec<SlowAckJson>,
}

/// Carry-over in the range.
#[derive(Debug, Serialize, ToSchema)]
pub struct CarryOverJson {
    /// (handoff, shift change) pairs: changes survived while open.
    pub total: usize,
    /// Handoffs that survived at least one change.
    pub handoffs: usize,
    /// The most one handoff survived.
    pub most: usize,
}

/// Events of one kind.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventCountJson {
    /// `change` or `incident`.
    pub kind: String,
    /// How many happened in the range.
    pub count: i64,
}

/// Open handoffs at the end of one UTC day.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayJson {
    /// The day, `2026-11-25`.
    pub day: String,
    /// Open at its end (or now).
    pub open: i64,
}

/// Time to acknowledge in one team week.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeekAckJson {
    /// The week's Wednesday, `2026-11-25`.
    pub week: String,
    /// The figures of the passes written that week.
    #[serde(flatten)]
    pub spread: SpreadJson,
}

/// One person's on-call load.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoadJson {
    /// Username.
    #[schema(schema_with = schemas::username)]
    pub username: String,
    /// Display name.
    pub name: String,
    /// Their IANA zone, in which night and weekend are counted.
    pub timezone: String,
    /// Seconds on call (final schedule) in the range.
    pub on_call_seconds: i64,
    /// Of which between 22:00 and 07:00 on their clock.
    pub night_seconds: i64,
    /// Of which on a Saturday or Sunday of their calendar.
    pub weekend_seconds: i64,
    /// Passes written to them in the range.
    pub passes_received: i64,
    /// How fast they acknowledged those.
    pub time_to_acknowledge: SpreadJson,
    /// Passes whose latest escalation in the range named them.
    pub escalations: i64,
    /// Cover requests of others they took, starting in the range.
    pub cover_taken: i64,
    /// Their own cover requests someone else took, starting in the range.
    pub cover_given: i64,
    /// Seconds on call in each of `load_weeks`.
    pub weekly_seconds: Vec<i64>,
}

/// The review of a range.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewJson {
    /// First instant.
    #[schema(schema_with = schemas::instant)]
    pub from: String,
    /// First instant after the range.
    #[schema(schema_with = schemas::instant)]
    pub to: String,
    /// The team week's Wednesday when the range is one team week; else null.
    pub week: Option<String>,
    /// Handoffs opened, per kind and severity.
    pub opened: Vec<KindCountJson>,
    /// Handoffs resolved, per kind and severity.
    pub resolved: Vec<KindCountJson>,
    /// Passes written in the range.
    pub passes: PassesJson,
    /// Carry-over.
    pub carry_over: CarryOverJson,
    /// Open at the end of the range (or now), opened more than 7 days before.
    pub open_older_than_week: i64,
    /// Production events per kind.
    pub events: Vec<EventCountJson>,
    /// Open handoffs per UTC day.
    pub open_per_day: Vec<DayJson>,
    /// Time to acknowledge in the 12 team weeks ending with the range's last.
    pub ack_weeks: Vec<WeekAckJson>,
    /// The weeks of `load[].weekly_seconds` (their Wednesdays).
    pub load_weeks: Vec<String>,
    /// On-call load per person, by name.
    pub load: Vec<LoadJson>,
}

fn kinds(rows: &[KindCount]) -> Vec<KindCountJson> {
    rows.iter()
        .map(|r| KindCountJson {
            kind: r.kind.clone(),
            severity: r.severity,
            count: r.count,
        })
        .collect()
}

fn day(at: chrono::DateTime<chrono::Utc>) -> String {
    iso_date(Timezone::UTC.date(at))
}

impl ReviewJson {
    /// The JSON of `r`.
    pub fn new(r: &Review, public_url: &str) -> ReviewJson {
        ReviewJson {
            from: ts(r.range.from),
            to: ts(r.range.to),
            week: r.range.is_week().then(|| day(r.range.from)),
            opened: kinds(&r.opened),
            resolved: kinds(&r.resolved),
            passes: PassesJson {
                written: r.passes,
                escalated: r.escalated,
                time_to_acknowledge: (&r.ack).into(),
                slowest: r
                    .slowest
                    .iter()
                    .map(|s| SlowAckJson {
                        handoff_id: s.handoff_id.clone(),
                        url: format!("{public_url}/handoffs/{}", s.handoff_id),
                        title: s.title.clone(),
                        note_id: s.note_id.clone(),
                        to: s.to.clone(),
                        passed_at: ts(s.written),
                        seconds: s.seconds,
                    })
                    .collect(),
            },
            carry_over: CarryOverJson {
                total: r.carry_over.total,
                handoffs: r.carry_over.handoffs,
                most: r.carry_over.most,
            },
            open_older_than_week: r.open_older_than_week,
            events: r
                .events_per_kind()
                .into_iter()
                .map(|(kind, count)| EventCountJson {
                    kind: kind.to_owned(),
                    count,
                })
                .collect(),
            open_per_day: r
                .open_per_day
                .iter()
                .map(|d| DayJson {
                    day: day(d.day.from),
                    open: d.open,
                })
                .collect(),
            ack_weeks: r
                .ack_weeks
                .iter()
                .map(|w| WeekAckJson {
                    week: day(w.week.from),
                    spread: (&w.spread).into(),
                })
                .collect(),
            load_weeks: r.load_weeks.iter().map(|w| day(w.from)).collect(),
            load: r
                .load
                .iter()
                .map(|p| LoadJson {
                    username: p.user.username.clone(),
                    name: p.user.name.clone(),
                    timezone: p.user.timezone.name().to_owned(),
                    on_call_seconds: p.hours.total,
                    night_seconds: p.hours.night,
                    weekend_seconds: p.hours.weekend,
                    passes_received: p.passes_received,
                    time_to_acknowledge: (&p.ack).into(),
                    escalations: p.escalations,
                    cover_taken: p.cover_taken,
                    cover_given: p.cover_given,
                    weekly_seconds: p.weekly.clone(),
                })
                .collect(),
        }
    }
}

/// A date naming a team week.
fn week_schema() -> utoipa::openapi::schema::Object {
    utoipa::openapi::schema::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::SchemaType::new(utoipa::openapi::schema::Type::String))
        .format(Some(utoipa::openapi::schema::SchemaFormat::KnownFormat(
            utoipa::openapi::schema::KnownFormat::Date,
        )))
        .pattern(Some(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"))
        .description(Some("A date: the team week (Wednesday 00:00 UTC to the next Wednesday) that holds it; not with from and to"))
        .examples(["2026-11-25"])
        .build()
}

/// Which range: `week`, or `from` and `to`; none: the current team week.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewParams {
    /// A date (`2026-11-25`): the team week (Wednesday 00:00 UTC to the
    /// next Wednesday) that holds it. Not with `from`/`to`.
    #[param(schema_with = week_schema)]
    week: Option<String>,
    /// RFC 3339 instant, the first of the range; with `to`.
    #[param(schema_with = schemas::start)]
    from: Option<String>,
    /// RFC 3339 instant after the range (exclusive); at most 366 days after `from`.
    #[param(schema_with = schemas::end)]
    to: Option<String>,
}

/// The weekly review of a team week or a range: handoffs opened and
/// resolved, passes and time to acknowledge, carry-over, events, open
/// handoffs per day, and the on-call load per person.
#[utoipa::path(get, path = "/api/v1/review", tag = "review", params(ReviewParams),
    responses((status = 200, body = ReviewJson, headers(("ETag" = String, description = "send it back as If-None-Match"))),
        (status = 304, description = "not modified since the ETag sent as If-None-Match"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
pub async fn get_review(
    state: web::Data<AppState>,
    _user: ApiUser,
    params: web::Query<ReviewParams>,
) -> Result<web::Json<ReviewJson>, ApiError> {
    let params = params.into_inner();
    let now = time::now();
    let week = params
        .week
        .as_deref()
        .map(|w| parse_date(w).map_err(|e| AppError::invalid("week", e)))
        .transpose()?;
    let from = params
        .from
        .as_deref()
        .map(|f| contract::instant("from", f))
        .transpose()?;
    let to = params
        .to
        .as_deref()
        .map(|t| contract::instant("to", t))
        .transpose()?;
    let range = choose_range(week, from, to, now)?;
    let r = state
        .db
        .run(move |conn| review::review(conn, range, now))
        .await?;
    Ok(web::Json(ReviewJson::new(&r, &state.settings.public_url)))
}
