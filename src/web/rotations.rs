//! `/rotations`: list, create, edit and delete rotations. A change to the
//! rhythm, the start or the members takes effect from an instant on (now
//! by default, never earlier), so the past stays as it was.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::db::DbConnection;
use crate::db::models::future;
use crate::db::models::rotations::{self, PlanInput};
use crate::domain::rotation::{Rhythm, parse_name};
use crate::domain::shift::parse_rotation_role;
use crate::domain::time::{self, TimeView};
use crate::error::AppError;
use crate::web::notices::who;
use crate::web::{
    AppState, FormErrors, FormPairs, Layout, Viewer, field, parse_id, render_page, see_other,
};

/// A rotation as listed.
pub struct RotationRow {
    id: String,
    name: String,
    role: String,
    rhythm: String,
    starts: Option<TimeView>,
    members: Vec<String>,
    /// Changes planned from an instant after now.
    planned: Vec<(TimeView, String)>,
}

/// The values of the rotation form, kept when it comes back with errors.
#[derive(Debug, Clone, Default)]
pub struct RotationForm {
    name: String,
    role: String,
    rhythm: String,
    starts_at: String,
    members: String,
    from: String,
    errors: FormErrors,
}

#[derive(Template)]
#[template(path = "rotations.html")]
struct RotationsPage {
    layout: Layout,
    rows: Vec<RotationRow>,
    form: RotationForm,
    can_write: bool,
    tz: String,
}

#[derive(Template)]
#[template(path = "rotation_edit.html")]
struct EditPage {
    layout: Layout,
    id: String,
    form: RotationForm,
    tz: String,
}

fn names(conn: &mut DbConnection, plan: &rotations::PlanRow) -> Result<Vec<String>, AppError> {
    Ok(rotations::member_names(conn, plan)?
        .into_iter()
        .map(|u| format!("{} ({})", u.username, u.timezone.name()))
        .collect())
}

fn load_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    form: RotationForm,
) -> Result<RotationsPage, AppError> {
    let now = time::now();
    let mut rows = vec![];
    for r in rotations::list(conn)? {
        let current = r.plan_at(now).cloned();
        let mut planned = vec![];
        for p in r
            .plans
            .iter()
            .filter(|p| time::from_db(p.effective_from) > now)
        {
            let who = names(conn, p)?.join(", ");
            planned.push((
                TimeView::new(time::from_db(p.effective_from), viewer.tz),
                format!("{} · {who}", p.rhythm),
            ));
        }
        rows.push(RotationRow {
            id: r.rotation.id.clone(),
            name: r.rotation.name.clone(),
            role: r.rotation.role.clone(),
            rhythm: current
                .as_ref()
                .map(|p| p.rhythm.clone())
                .unwrap_or_default(),
            starts: current
                .as_ref()
                .map(|p| TimeView::new(time::from_db(p.starts_at), viewer.tz)),
            members: match &current {
                Some(p) => names(conn, p)?,
                None => vec![],
            },
            planned,
        });
    }
    Ok(RotationsPage {
        layout: Layout::load(conn, state, viewer, "Rotations")?,
        rows,
        form,
        can_write: viewer.user.as_ref().is_some_and(|u| u.role.can_write()),
        tz: viewer.tz.name().to_owned(),
    })
}

/// `GET /rotations`.
pub async fn list_rotations(
    state: web::Data<AppState>,
    viewer: Viewer,
) -> Result<HttpResponse, AppError> {
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| load_page(conn, &st, &viewer, RotationForm::default()))
        .await?;
    render_page(&page, StatusCode::OK)
}

/// What a posted form says: the kept values, and the checked input when
/// every field is right (name, role, plan, and the instant it takes effect).
type Parsed = (
    RotationForm,
    Option<(
        String,
        String,
        PlanInput,
        Option<chrono::DateTime<chrono::Utc>>,
    )>,
);

fn parse_form(
    conn: &mut DbConnection,
    form: &FormPairs,
    viewer: &Viewer,
) -> Result<Parsed, AppError> {
    let mut kept = RotationForm {
        name: field(form, "name").to_owned(),
        role: field(form, "role").to_owned(),
        rhythm: field(form, "rhythm").to_owned(),
        starts_at: field(form, "starts_at").to_owned(),
        members: field(form, "members").to_owned(),
        from: field(form, "from").to_owned(),
        errors: FormErrors::default(),
    };
    let errors = &mut kept.errors;
    let name = errors.check("name", parse_name(&kept.name));
    let role = errors.check("role", parse_rotation_role(&kept.role));
    let rhythm = errors.check("rhythm", Rhythm::parse(&kept.rhythm));
    let starts = errors.check("starts_at", time::parse_local(&kept.starts_at, viewer.tz));
    let from = match kept.from.trim() {
        "" => None,
        text => errors.check("from", time::parse_local(text, viewer.tz)),
    };
    let member_names: Vec<String> = kept
        .members
        .split([',', '\n'])
        .map(str::trim)
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect();
    let members = match rotations::resolve_members(conn, &member_names, &|_| "members".to_owned()) {
        Ok(m) => Some(m),
        Err(e) => {
            errors.absorb("members", e)?;
            None
        }
    };
    let input = match (name, role, rhythm, starts, members, errors.is_empty()) {
        (Some(name), Some(role), Some(rhythm), Some(starts_at), Some(members), true) => Some((
            name,
            role,
            PlanInput {
                starts_at,
                rhythm,
                members,
            },
            from,
        )),
        _ => None,
    };
    Ok((kept, input))
}

/// `POST /rotations`: make a rotation.
pub async fn create_rotation(
    state: web::Data<AppState>,
    viewer: Viewer,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let location = viewer.keep_tz("/rotations");
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let (kept, input) = parse_form(conn, &form, &viewer)?;
            if let Some((name, role, plan, _)) = input {
                let cause = format!("{} made the rotation “{name}”", who(&viewer));
                future::recording(conn, &cause, |conn| {
                    rotations::create(conn, &name, &role, &plan)
                })?;
                return Ok(None);
            }
            Ok(Some(load_page(conn, &st, &viewer, kept)?))
        })
        .await?;
    match result {
        None => Ok(see_other(&location)),
        Some(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

fn rotation_id(raw: &str) -> Result<String, AppError> {
    parse_id(raw).map_err(|_| AppError::NotFound("no such rotation".into()))
}

fn edit_page(
    conn: &mut DbConnection,
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    form: Option<RotationForm>,
) -> Result<EditPage, AppError> {
    let loaded = rotations::find(conn, id)?;
    let form = match form {
        Some(f) => f,
        None => {
            let plan = loaded
                .plan_at(time::now())
                .cloned()
                .ok_or_else(|| AppError::internal(format!("rotation {id} has no plan")))?;
            RotationForm {
                name: loaded.rotation.name.clone(),
                role: loaded.rotation.role.clone(),
                rhythm: plan.rhythm.clone(),
                starts_at: time::to_local_input(time::from_db(plan.starts_at), viewer.tz),
                members: rotations::member_names(conn, &plan)?
                    .into_iter()
                    .map(|u| u.username)
                    .collect::<Vec<_>>()
                    .join("\n"),
                ..RotationForm::default()
            }
        }
    };
    Ok(EditPage {
        layout: Layout::load(conn, state, viewer, "Edit rotation")?,
        id: loaded.rotation.id,
        form,
        tz: viewer.tz.name().to_owned(),
    })
}

/// `GET /rotations/{id}/edit`.
pub async fn edit_rotation(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let id = rotation_id(&path)?;
    let st = state.clone();
    let page = state
        .db
        .run(move |conn| edit_page(conn, &st, &viewer, &id, None))
        .await?;
    render_page(&page, StatusCode::OK)
}

/// `POST /rotations/{id}`: change a rotation; a new plan from `from` on
/// when its rhythm, start or members changed.
pub async fn update_rotation(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
    form: web::Form<FormPairs>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let id = rotation_id(&path)?;
    let location = viewer.keep_tz("/rotations");
    let st = state.clone();
    let result = state
        .db
        .run(move |conn| {
            let current = rotations::find(conn, &id)?;
            let (kept, input) = parse_form(conn, &form, &viewer)?;
            if let Some((name, role, plan, from)) = input {
                let from = from.unwrap_or_else(time::now);
                let unchanged = current.plan_at(from.max(time::now())).is_some_and(|p| {
                    p.starts_at == time::to_db(plan.starts_at)
                        && p.rhythm == plan.rhythm.text()
                        && p.member_ids()
                            == plan
                                .members
                                .iter()
                                .map(|u| u.id.clone())
                                .collect::<Vec<_>>()
                });
                let change = (!unchanged).then_some((from, &plan));
                let cause = format!("{} changed the rotation “{name}”", who(&viewer));
                future::recording(conn, &cause, |conn| {
                    rotations::update(conn, &id, &name, &role, change)
                })?;
                return Ok(None);
            }
            Ok(Some(edit_page(conn, &st, &viewer, &id, Some(kept))?))
        })
        .await?;
    match result {
        None => Ok(see_other(&location)),
        Some(page) => render_page(&page, StatusCode::UNPROCESSABLE_ENTITY),
    }
}

/// `POST /rotations/{id}/delete`.
pub async fn delete_rotation(
    state: web::Data<AppState>,
    viewer: Viewer,
    path: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    viewer.writer()?;
    let id = rotation_id(&path)?;
    let location = viewer.keep_tz("/rotations");
    state
        .db
        .run(move |conn| {
            let cause = format!("{} deleted a rotation", who(&viewer));
            future::recording(conn, &cause, |conn| rotations::delete(conn, &id))
        })
        .await?;
    Ok(see_other(&location))
}
