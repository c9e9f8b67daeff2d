//! `/shifts`: a week of shifts, with hours in the viewer's zone and UTC;
//! add, edit, delete.
//!
//! The week is seven days of the viewer's local calendar, from Monday 00:00
//! to the next Monday 00:00 (167 to 169 hours when the clocks change). The
//! form shows times to the second in the zone of the page, says which zone
//! that is in a hidden field, and offers both readings of a time that
//! happens twice, so that saving it unchanged changes nothing.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use jiff::civil::Weekday;
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::models::shifts;
use crate::db::models::{future, schedule, users};
use crate::domain::rotation::Source;
use crate::domain::time::{self, TimeView, Timezone, human_duration};
use crate::error::AppError;
use crate::web::notices::who;
use crate::web::shift_form::{ShiftForm, form_zone, parse_form};
use crate::web::timeline::{self, Timeline, View};
use crate::web::views::UserOption;
use crate::web::{AppState, FormPairs, Layout, Viewer, parse_id, render_page, see_other, with_tz};

/// A shift as listed.
pub struct ShiftRow {
    /// The explicit shift's id; none for a derived one (not edited here).
    id: Option<String>,
    /// `override`, or the name of the rotation it is derived from.
    source: String,
    role: String,
    username: String,
    user_tz: String,
    starts: TimeView,
    starts_utc: TimeView,
    ends: TimeView,
    ends_utc: TimeView,
    length: String,
    now: bool,
}

/// The confirmation after a shift was saved.
pub struct Saved {
    role: String,
    username: String,
    starts: TimeView,
    ends: TimeView,
    /// The zone the times were read in.
    zone: String,
    /// What to know about a time that happens twice.
    notes: Vec<String>,
}

#[derive(Template)]
#[template(path = "shifts.html")]
struct ShiftsPage {
    layout: Layout,
    /// The picture of the next 48 hours or the week, above the list.
    timeline: Timeline,
    week_label: String,
    prev_week: String,
    next_week: String,
    /// The week's first and last instants (local Monday 00:00 to the next).
    week_from: TimeView,
    week_to: TimeView,
    /// Its length in hours: 168, or 167/169 when the clocks change.
    week_hours: String,
    saved: Option<Saved>,
    rows: Vec<ShiftRow>,
    form: ShiftForm,
    users: Vec<UserOption>,
    roles: Vec<String>,
    can_write: bool,
    tz: String,
    /// `&tz=…` for the week links when the zone was chosen with `?tz=`.
    tz_suffix: String,
    /// Cover requests (`web::cover`, `_cover_requests.html`).
    cover: crate::web::cover::CoverSection,
}

#[derive(Template)]
#[template(path = "shift_edit.html")]
struct EditPage {
    layout: Layout,
    id: String,
    form: ShiftForm,
    users: Vec<UserOption>,
}

/// `?week=YYYY-MM-DD&saved=ID&view=48h|week`.
#[derive(Default, Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
    /// The picture's span: the next 48 hours (the default) or the week.
    view: Option<String>,
    /// A shift just saved, to confirm.
    saved: Option<String>,
}

/// Where to go after saving `shift` from a form in `zone`: its week, with
/// the confirmation, in that zone (`tz=` when it is not the viewer's own).
fn after_save(shift: &shifts::Shift, zone: Timezone, viewer: &Viewer) -> String {
    let location = format!(
        "/shifts?week={}&saved={}",
        time::iso_date(zone.date(shift.starts())),
        shift.id
    );
    if zone == viewer.own_tz() {
        location
    } else {
        with_tz(&location, zone)
    }
}

/// The confirmation of `shift`, saved by a form in `zone`.
fn saved_view(shift: &shifts::Shift, username: String, zone: Timezone) -> Saved {
    let notes = [("starts", shift.starts()), ("ends", shift.ends())]
        .into_iter()
        .filter_map(|(what, at)| {
            let text = time::to_local_input(at, zone);
            let choices = time::repeated(&text, zone, &time::offset_value(at, zone))?;
            let chosen = choices.iter().find(|c| c.chosen)?;
            Some(format!(
                "It {what} at a time that happens twice in {zone} (the clocks go back): {}; edit the shift to choose the other.",
                chosen.label
            ))
        })
        .collect();
    Saved {
        role: shift.role.clone(),
        username,
        starts: TimeView::new(shift.starts(), zone),
        ends: TimeView::new(shift.ends(), zone),
        zone: zone.name().to_owned(),
        notes,
    }
}

fn all_users(conn: &mut DbConnection) -> Result<Vec<UserOption>, AppError> {
    Ok(users::list_active(conn)?
        .into_iter()
        .map(|u| UserOption {
            label: format!("{} ({}, {})", u.name, u.username, u.timezone),
            username: u.username,
        })
        .collect())
}

fn load_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    query: &WeekQuery,
    form: ShiftForm,
) -> Result<ShiftsPage, AppError> {
    let now = time::now();
    let view = View::parse(query.view.as_deref())?;
    let day = match query.week.as_deref() {
        Some(w) if !w.is_empty() => {
            time::parse_date(w).map_err(|e| AppError::invalid("week", e))?
        }
        _ => viewer.tz.date(now),
    };
    // Seven local days: Monday 00:00 to the next Monday 00:00, whatever
    // the clocks do in between.
    let (from, to) = viewer.tz.week(day, Weekday::Monday);
    let saved = match query.saved.as_deref().map(parse_id) {
        Some(Ok(id)) => match shifts::find(conn, &id) {
            Ok((s, u)) => Some(saved_view(&s, u.username, viewer.tz)),
            Err(diesel::result::Error::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    // The final schedule: derived shifts where no override wins, and the overrides.
    let rows: Vec<ShiftRow> = schedule::between(conn, from, to)?
        .into_iter()
        .map(|o| {
            let s = o.shift;
            let now = s.holds(now);
            let (id, source) = match s.source {
                Source::Override { shift_id } => (Some(shift_id), "override".to_owned()),
                Source::Rotation { name, .. } => (None, format!("rotation {name}")),
            };
            ShiftRow {
                starts: TimeView::new(s.starts, viewer.tz),
                starts_utc: TimeView::new(s.starts, Timezone::UTC),
                ends: TimeView::new(s.ends, viewer.tz),
                ends_utc: TimeView::new(s.ends, Timezone::UTC),
                length: human_duration(s.ends - s.starts),
                now,
                id,
                source,
                role: s.role,
                username: o.user.username,
                user_tz: o.user.timezone.name().to_owned(),
            }
        })
        .collect();
    let mut roles: Vec<String> = ["EOC", "IMOC", "CMOC"]
        .iter()
        .map(|r| r.to_string())
        .collect();
    for r in &rows {
        if !roles.contains(&r.role) {
            roles.push(r.role.clone());
        }
    }
    let minutes = (to - from).num_minutes();
    let on_call = schedule::on_call(conn, now)?;
    let timeline = timeline::load(
        conn,
        viewer,
        now,
        view,
        day,
        query.week.as_deref(),
        &on_call,
    )?;
    Ok(ShiftsPage {
        layout: Layout::with_roles(state, viewer, "Shifts", &on_call, now).with_notices_shown(
            state
                .memos
                .notices_for(conn, &state.caches.changes, viewer)?
                .as_ref(),
            viewer,
        ),
        timeline,
        week_label: format!(
            "Week of {}",
            time::date_text(time::week_start(day, Weekday::Monday))
        ),
        prev_week: time::iso_date(time::add_days(day, -7)),
        next_week: time::iso_date(time::add_days(day, 7)),
        week_from: TimeView::new(from, viewer.tz),
        week_to: TimeView::new(to, viewer.tz),
        week_hours: if minutes % 60 == 0 {
            (minutes / 60).to_string()
        } else {
            format!("{}", minutes as f64 / 60.0)
        },
        saved,
        rows,
        form: form.in_zone(viewer.tz),
        users: all_users(conn)?,
        roles,
        can_write: viewer.user.as_ref().is_some_and(|u| u.role.can_write()),
        tz: viewer.tz.name().to_owned(),
        tz_suffix: viewer.tz_query().replacen('?', "&", 1),
        cover: crate::web::cover::section(conn, viewer, now)?,
    })
}

/// The page of this week with `cover` as its cover section (a cover form
/// that came back with errors, or a take that was refused), rendered.
pub(crate) fn page_with_cover(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    cover: crate::web::cover::CoverSection,
) -> Result<String, AppError> {
    let week = WeekQuery::default();
    let mut page = load_page(conn, state, viewer, &week, ShiftForm::default())?;
    page.cover = cover;
    page.render().map_err(AppError::internal)
}

/// `GET /shifts?week=`.
pub async fn list_shifts(
    state: web::Data<AppState>,
    viewer: Viewer,
    query: web::Query<WeekQuery>,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, &query, ShiftForm::default()))
        .await?;
    render_page(&page, StatusCode::OK)
}

/// `POST /shifts`: add a shift.
pub async fn create_shift(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let zone = form_zone(&form, &viewer)?;
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let (mut kept, input) = parse_form(conn, &form, zone)?;
            if let Some(input) = input {
                let cause = format!("{} added an override shift", who(&viewer));
                match future::recording(conn, &cause, |conn| shifts::create(conn, &input)) {
                    Ok(s) => return Ok(Ok(after_save(&s, zone, &viewer))),
                    Err(e) => kept.errors.absorb("starts_at", e)?,
                }
            }
            let query = WeekQuery::default();
            let mut page = load_page(conn, &st, &viewer, &query, ShiftForm::default())?;
            page.form = kept.in_zone(zone);
            Ok(Err(page))
        })
        .await?;
    match result {
        Ok(location) => Ok(see_other(&location)),
        Err(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

fn edit_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: Option<(ShiftForm, Timezone)>,
) -> Result<EditPage, AppError> {
    let (shift, user) = shifts::find(conn, id).map_err(|e| match e {
        diesel::result::Error::NotFound => AppError::NotFound("no such shift".into()),
        other => other.into(),
    })?;
    let (form, zone) = form.unwrap_or_else(|| {
        // Exactly the stored instants: the wall clock to the second, and
        // the offset, which tells the two readings of a repeated time apart.
        let zone = viewer.tz;
        let form = ShiftForm {
            username: user.username,
            role: shift.role.clone(),
            starts_at: time::to_local_input(shift.starts(), zone),
            ends_at: time::to_local_input(shift.ends(), zone),
            starts_offset: time::offset_value(shift.starts(), zone),
            ends_offset: time::offset_value(shift.ends(), zone),
            ..ShiftForm::default()
        };
        (form, zone)
    });
    Ok(EditPage {
        layout: Layout::load(conn, state, viewer, "Edit shift")?,
        id: shift.id,
        form: form.in_zone(zone),
        users: all_users(conn)?,
    })
}

/// `GET /shifts/{id}/edit`.
pub async fn edit_shift(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let id = parse_shift_id(&path)?;
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| edit_page(conn, &st, &viewer, &id, None))
        .await?;
    render_page(&page, StatusCode::OK)
}

fn parse_shift_id(raw: &str) -> Result<String, AppError> {
    parse_id(raw).map_err(|_| AppError::NotFound("no such shift".into()))
}

/// `POST /shifts/{id}`: change a shift.
pub async fn update_shift(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let id = parse_shift_id(&path)?;
    let zone = form_zone(&form, &viewer)?;
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let (mut kept, input) = parse_form(conn, &form, zone)?;
            if let Some(input) = input {
                let cause = format!("{} changed an override shift", who(&viewer));
                match future::recording(conn, &cause, |conn| shifts::update(conn, &id, &input)) {
                    Ok(s) => return Ok(Ok(after_save(&s, zone, &viewer))),
                    Err(e) => kept.errors.absorb("starts_at", e)?,
                }
            }
            Ok(Err(edit_page(conn, &st, &viewer, &id, Some((kept, zone)))?))
        })
        .await?;
    match result {
        Ok(location) => Ok(see_other(&location)),
        Err(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

/// `POST /shifts/{id}/delete`.
pub async fn delete_shift(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let id = parse_shift_id(&path)?;
    let location = viewer.keep_tz("/shifts");
    let cause = format!("{} deleted an override shift", who(&viewer));
    let delete = move |conn: &mut DbConnection| shifts::delete(conn, &id);
    state
        .db
        .run(move |c| future::recording(c, &cause, delete))
        .await?;
    Ok(see_other(&location))
}
