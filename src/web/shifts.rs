//! `/shifts`: a week of shifts, with hours in the viewer's zone and UTC;
//! add, edit, delete.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use serde::Deserialize;

use crate::db::DbConnection;
use crate::db::models::shifts::{self, ShiftInput};
use crate::db::models::users;
use crate::domain::shift::{check_span, parse_rotation_role};
use crate::domain::time::{self, TimeView, Timezone, human_duration};
use crate::domain::user::Username;
use crate::error::AppError;
use crate::web::views::UserOption;
use crate::web::{
    AppState, FormErrors, FormPairs, Layout, Viewer, field, parse_id, render_page, see_other,
};

/// A shift as listed.
pub struct ShiftRow {
    id: String,
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

/// The values of the shift form, kept when it comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct ShiftForm {
    username: String,
    role: String,
    starts_at: String,
    ends_at: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "shifts.html")]
struct ShiftsPage {
    layout: Layout,
    week_label: String,
    prev_week: String,
    next_week: String,
    rows: Vec<ShiftRow>,
    form: ShiftForm,
    users: Vec<UserOption>,
    roles: Vec<String>,
    can_write: bool,
    tz: String,
}

#[derive(Template)]
#[template(path = "shift_edit.html")]
struct EditPage {
    layout: Layout,
    id: String,
    form: ShiftForm,
    users: Vec<UserOption>,
    tz: String,
}

/// `?week=YYYY-MM-DD`.
#[derive(Deserialize)]
pub struct WeekQuery {
    week: Option<String>,
}

/// The Monday 00:00 (in `zone`) of the week holding `day`.
fn week_start(day: NaiveDate, zone: Timezone) -> DateTime<Utc> {
    let monday = day - Duration::days(day.weekday().num_days_from_monday().into());
    time::parse_local(&format!("{}T00:00", monday.format("%Y-%m-%d")), zone)
        .or_else(|_| time::parse_local(&format!("{}T01:00", monday.format("%Y-%m-%d")), zone))
        .unwrap_or_else(|_| monday.and_hms_opt(0, 0, 0).unwrap_or_default().and_utc())
}

/// The `?week=` value that shows `instant` to a viewer in `zone`.
fn week_of(instant: DateTime<Utc>, zone: Timezone) -> String {
    zone.local(instant).format("%Y-%m-%d").to_string()
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
    week: Option<&str>,
    form: ShiftForm,
) -> Result<ShiftsPage, AppError> {
    let now = time::now();
    let day = match week {
        Some(w) if !w.is_empty() => NaiveDate::parse_from_str(w, "%Y-%m-%d").map_err(|_| {
            AppError::invalid("week", format!("{w:?} is not a date such as 2026-11-30"))
        })?,
        _ => viewer.tz.local(now).date_naive(),
    };
    let from = week_start(day, viewer.tz);
    let to = from + Duration::days(7);
    let rows: Vec<ShiftRow> = shifts::list_between(conn, from, to)?
        .into_iter()
        .map(|(s, u)| ShiftRow {
            starts: TimeView::new(s.starts(), viewer.tz),
            starts_utc: TimeView::new(s.starts(), Timezone::UTC),
            ends: TimeView::new(s.ends(), viewer.tz),
            ends_utc: TimeView::new(s.ends(), Timezone::UTC),
            length: human_duration(s.ends() - s.starts()),
            now: s.starts() <= now && now < s.ends(),
            id: s.id,
            role: s.role,
            username: u.username,
            user_tz: u.timezone,
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
    Ok(ShiftsPage {
        layout: Layout::load(conn, state, viewer, "Shifts")?,
        week_label: format!("Week of {}", viewer.tz.local(from).format("%a %d %b %Y")),
        prev_week: (day - Duration::days(7)).format("%Y-%m-%d").to_string(),
        next_week: (day + Duration::days(7)).format("%Y-%m-%d").to_string(),
        rows,
        form,
        users: all_users(conn)?,
        roles,
        can_write: viewer.user.as_ref().is_some_and(|u| u.role().can_write()),
        tz: viewer.tz.name().to_owned(),
    })
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
        .run(move |conn| {
            load_page(
                conn,
                &st,
                &viewer,
                query.week.as_deref(),
                ShiftForm::default(),
            )
        })
        .await?;
    render_page(&page, StatusCode::OK)
}

/// Reads a shift form; the times are wall-clock times in the viewer's zone.
fn parse_form(
    conn: &mut DbConnection,
    form: &FormPairs,
    zone: Timezone,
) -> Result<(ShiftForm, Option<ShiftInput>), AppError> {
    let mut kept = ShiftForm {
        username: field(form, "username").to_owned(),
        role: field(form, "role").to_owned(),
        starts_at: field(form, "starts_at").to_owned(),
        ends_at: field(form, "ends_at").to_owned(),
        errors: FormErrors::default(),
    };
    let errors = &mut kept.errors;
    let user = match Username::parse(&kept.username) {
        Ok(name) => match users::find_by_username(conn, &name)? {
            Some(u) => Some(u),
            None => {
                errors.add("username", format!("there is no user {name}"));
                None
            }
        },
        Err(e) => {
            errors.add("username", e);
            None
        }
    };
    let role = errors.check("role", parse_rotation_role(&kept.role));
    let starts = errors.check("starts_at", time::parse_local(&kept.starts_at, zone));
    let ends = errors.check("ends_at", time::parse_local(&kept.ends_at, zone));
    if let (Some(s), Some(e)) = (starts, ends) {
        errors.check("ends_at", check_span(s, e));
    }
    let input = match (user, role, starts, ends, errors.is_empty()) {
        (Some(u), Some(role), Some(starts_at), Some(ends_at), true) => Some(ShiftInput {
            user_id: u.id,
            role,
            starts_at,
            ends_at,
        }),
        _ => None,
    };
    Ok((kept, input))
}

/// `POST /shifts`: add a shift.
pub async fn create_shift(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let (mut kept, input) = parse_form(conn, &form, viewer.tz)?;
            if let Some(input) = input {
                match shifts::create(conn, &input) {
                    Ok(s) => return Ok(Ok(week_of(s.starts(), viewer.tz))),
                    Err(e) => kept.errors.absorb("starts_at", e)?,
                }
            }
            Ok(Err(load_page(conn, &st, &viewer, None, kept)?))
        })
        .await?;
    match result {
        Ok(week) => Ok(see_other(&format!("/shifts?week={week}"))),
        Err(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

fn edit_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: Option<ShiftForm>,
) -> Result<EditPage, AppError> {
    let (shift, user) = shifts::find(conn, id).map_err(|e| match e {
        diesel::result::Error::NotFound => AppError::NotFound("no such shift".into()),
        other => other.into(),
    })?;
    let form = form.unwrap_or_else(|| ShiftForm {
        username: user.username,
        role: shift.role.clone(),
        starts_at: time::to_local_input(shift.starts(), viewer.tz),
        ends_at: time::to_local_input(shift.ends(), viewer.tz),
        errors: FormErrors::default(),
    });
    Ok(EditPage {
        layout: Layout::load(conn, state, viewer, "Edit shift")?,
        id: shift.id,
        form,
        users: all_users(conn)?,
        tz: viewer.tz.name().to_owned(),
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
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let (mut kept, input) = parse_form(conn, &form, viewer.tz)?;
            if let Some(input) = input {
                match shifts::update(conn, &id, &input) {
                    Ok(s) => return Ok(Ok(week_of(s.starts(), viewer.tz))),
                    Err(e) => kept.errors.absorb("starts_at", e)?,
                }
            }
            Ok(Err(edit_page(conn, &st, &viewer, &id, Some(kept))?))
        })
        .await?;
    match result {
        Ok(week) => Ok(see_other(&format!("/shifts?week={week}"))),
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
    state.db.run(move |conn| shifts::delete(conn, &id)).await?;
    Ok(see_other("/shifts"))
}
