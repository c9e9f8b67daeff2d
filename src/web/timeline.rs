//! The picture that leads `/shifts`: the next 48 hours (or a week), one
//! row per role with who is on call in each span, and one row per person
//! on call now, holding or receiving a handoff, with their own hours, their
//! night (22:00–07:00 on their clocks) shaded and a line at now.
//!
//! Server-rendered inline SVG, sized in percent of the row so that it fits
//! any width without a script; colours come from the stylesheet. The SVG is
//! hidden from screen readers, which read the same facts as text: each
//! role's spans, and a table of the people with their zone and local time.
//! Who is on call comes from the final schedule (`schedule::between` and
//! `schedule::on_call`) and nothing else; the geometry is
//! `domain::timeline`'s.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use jiff::civil::{Date, Weekday};

use crate::db::DbConnection;
use crate::db::models::schedule::{self, OnCall, RoleOnCall};
use crate::db::models::{handoffs, users};
use crate::domain::rotation::Source;
use crate::domain::time::{TimeView, Timezone, human_duration};
use crate::domain::timeline::{Bar, Tick, Window, lanes};
use crate::error::AppError;
use crate::web::Viewer;
use crate::web::views::PersonView;

/// The height of one lane of a role row, in pixels.
const LANE: u32 = 24;
/// Where a person row's shifts start, below their hours, in pixels.
const PERSON_TOP: u32 = 19;
/// The height of one lane of a person row's shifts.
const PERSON_LANE: u32 = 17;

/// What the picture spans.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// The next 48 hours, from the start of the viewer's current hour.
    Hours,
    /// The week of the shift list below (Monday 00:00 to Monday 00:00).
    Week,
}

impl View {
    /// `?view=`: nothing or `48h` for the next 48 hours, `week` for the week.
    pub fn parse(text: Option<&str>) -> Result<View, AppError> {
        match text.map(str::trim).unwrap_or_default() {
            "" | "48h" => Ok(View::Hours),
            "week" => Ok(View::Week),
            other => Err(AppError::invalid(
                "view",
                format!("{other:?} is not a view: use 48h or week"),
            )),
        }
    }
}

/// A shift drawn on a row.
pub struct SpanView {
    /// Where, on the row.
    pub bar: Bar,
    /// Its top, in pixels.
    pub y: u32,
    /// Who (role rows) or the role (person rows).
    pub label: String,
    /// `override` or `rotation`, for the stylesheet.
    pub class: &'static str,
    /// The shift in words, in the viewer's zone.
    pub text: String,
    /// Its tooltip: who (or the role) and the times on the viewer's clocks.
    pub title: String,
}

/// One role.
pub struct RoleLine {
    /// EOC, IMOC, …
    pub role: String,
    /// The row's height in pixels (one lane per overlapping shift).
    pub height: u32,
    /// Its shifts in the window.
    pub spans: Vec<SpanView>,
}

/// One person on call, holding or receiving a handoff.
pub struct PersonLine {
    /// Who, with their zone and local time now.
    pub person: PersonView,
    /// The roles they are on call in now, with when that shift ends.
    pub on_call: Vec<(String, TimeView)>,
    /// How many open handoffs they hold.
    pub holds: usize,
    /// How many passes wait for them.
    pub receiving: usize,
    /// Their nights in the window.
    pub nights: Vec<Bar>,
    /// Their hours.
    pub ticks: Vec<Tick>,
    /// Their shifts in the window.
    pub shifts: Vec<SpanView>,
    /// The row's height in pixels (one lane per overlapping shift).
    pub height: u32,
}

impl PersonLine {
    /// What they are doing, in words: `on call (EOC)`, `holds 2 handoffs`.
    pub fn doing(&self) -> String {
        let mut parts: Vec<String> = vec![];
        if !self.on_call.is_empty() {
            let roles: Vec<&str> = self.on_call.iter().map(|(r, _)| r.as_str()).collect();
            parts.push(format!("on call ({})", roles.join(", ")));
        }
        let plural = |n: usize| if n == 1 { "" } else { "s" };
        if self.holds > 0 {
            parts.push(format!(
                "holds {} handoff{}",
                self.holds,
                plural(self.holds)
            ));
        }
        if self.receiving > 0 {
            parts.push(format!(
                "{} pass{} waiting",
                self.receiving,
                if self.receiving == 1 { "" } else { "es" }
            ));
        }
        parts.join(", ")
    }
}

/// The picture.
pub struct Timeline {
    /// Which span.
    pub view: View,
    /// The window in the viewer's zone.
    pub from: TimeView,
    /// Its end.
    pub to: TimeView,
    /// The viewer's zone, whose hours the axis shows.
    pub zone: String,
    /// The axis: the viewer's hours.
    pub axis: Vec<Tick>,
    /// The viewer's midnights, drawn across the role rows.
    pub days: Vec<Tick>,
    /// The line at now, when now is in the window.
    pub now: Option<String>,
    /// One row per role with a shift in the window.
    pub roles: Vec<RoleLine>,
    /// One row per person on call now, holding or receiving a handoff.
    pub people: Vec<PersonLine>,
    /// The link to the other view (with the week and zone kept).
    pub other_href: String,
    /// `&view=week` for the week links of the page, or nothing.
    pub keep: &'static str,
}

/// The picture for `viewer` at `now`: `view` (the week holds `day`), with
/// `on_call` (the final schedule at `now`, which the page loaded already).
pub fn load(
    conn: &mut DbConnection,
    viewer: &Viewer,
    now: DateTime<Utc>,
    view: View,
    day: Date,
    week_param: Option<&str>,
    on_call: &[RoleOnCall],
) -> Result<Timeline, AppError> {
    let zone = viewer.tz;
    let window = match view {
        View::Hours => Window::ahead(now, zone, 48),
        View::Week => {
            let (from, to) = zone.week(day, Weekday::Monday);
            Window::new(from, to).unwrap_or(Window::ahead(now, zone, 24 * 7))
        }
    };
    let every = match view {
        View::Hours => 6,
        View::Week => 24,
    };
    let shifts = schedule::between(conn, window.from, window.to)?;
    let roles = role_lines(&window, &shifts, zone);
    let people = person_lines(conn, viewer, now, &window, every, &shifts, on_call)?;
    let axis = window.hours(zone, every);
    let mut query: Vec<String> = vec![];
    if view == View::Hours {
        query.push("view=week".into());
    }
    if let Some(w) = week_param.filter(|w| !w.is_empty()) {
        query.push(format!("week={}", crate::web::encode_query(w)));
    }
    let tz = viewer.tz_query();
    if !tz.is_empty() {
        query.push(tz.trim_start_matches('?').to_owned());
    }
    let other_href = match query.is_empty() {
        true => "/shifts".to_owned(),
        false => format!("/shifts?{}", query.join("&")),
    };
    Ok(Timeline {
        view,
        from: TimeView::new(window.from, zone),
        to: TimeView::new(window.to, zone),
        zone: zone.name().to_owned(),
        days: axis.iter().filter(|t| t.day).cloned().collect(),
        axis,
        now: window.mark(now),
        roles,
        people,
        other_href,
        keep: match view {
            View::Hours => "",
            View::Week => "&view=week",
        },
    })
}

impl Timeline {
    /// Whether it shows the week.
    pub fn is_week(&self) -> bool {
        self.view == View::Week
    }
}

/// A shift as a role row or a person row draws it.
fn span(window: &Window, o: &OnCall, zone: Timezone, y: u32, label: String) -> Option<SpanView> {
    let s = &o.shift;
    let bar = window.bar(s.starts, s.ends)?;
    let (class, source) = match &s.source {
        Source::Override { .. } => ("override", "override".to_owned()),
        Source::Rotation { name, .. } => ("rotation", format!("rotation {name}")),
    };
    let (starts, ends) = (TimeView::new(s.starts, zone), TimeView::new(s.ends, zone));
    Some(SpanView {
        bar,
        y,
        title: format!("{label} {}–{}", starts.clock, ends.clock),
        label,
        class,
        text: format!(
            "{}: {} ({}) from {} to {} ({}, {source})",
            s.role,
            o.user.username,
            o.user.timezone.name(),
            starts.text,
            ends.text,
            human_duration(s.ends - s.starts),
        ),
    })
}

/// One row per role, its overlapping shifts in lanes.
fn role_lines(window: &Window, shifts: &[OnCall], zone: Timezone) -> Vec<RoleLine> {
    let mut names: Vec<&str> = shifts.iter().map(|o| o.shift.role.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    names
        .into_iter()
        .map(|role| {
            let mine: Vec<&OnCall> = shifts.iter().filter(|o| o.shift.role == role).collect();
            let (lane_of, count) = lanes(
                &mine
                    .iter()
                    .map(|o| (o.shift.starts, o.shift.ends))
                    .collect::<Vec<_>>(),
            );
            let spans = mine
                .iter()
                .zip(lane_of)
                .filter_map(|(o, lane)| {
                    span(
                        window,
                        o,
                        zone,
                        lane as u32 * LANE + 2,
                        o.user.username.clone(),
                    )
                })
                .collect();
            RoleLine {
                role: role.to_owned(),
                height: count as u32 * LANE + 4,
                spans,
            }
        })
        .collect()
}

/// Who is on call now, holds an open handoff or has a pass waiting: on
/// call first (by role), then by username.
fn person_lines(
    conn: &mut DbConnection,
    viewer: &Viewer,
    now: DateTime<Utc>,
    window: &Window,
    every: u8,
    shifts: &[OnCall],
    on_call: &[RoleOnCall],
) -> Result<Vec<PersonLine>, AppError> {
    let mut open = handoffs::list_open(conn)?;
    if viewer.user.is_none() {
        // Signed-out readers learn nothing of a confidential handoff.
        open.retain(|h| !h.confidential);
    }
    let mut holds: HashMap<&str, usize> = HashMap::new();
    let mut receiving: HashMap<&str, usize> = HashMap::new();
    for h in &open {
        *holds.entry(h.holder_id.as_str()).or_default() += 1;
        if let Some(to) = &h.pending_to_id {
            *receiving.entry(to.as_str()).or_default() += 1;
        }
    }
    let mut people: Vec<users::User> = vec![];
    for o in on_call.iter().flat_map(|r| &r.current) {
        if !people.iter().any(|u| u.id == o.user.id) {
            people.push(o.user.clone());
        }
    }
    let mut others: Vec<&str> = holds
        .keys()
        .chain(receiving.keys())
        .copied()
        .filter(|id| !people.iter().any(|u| u.id == *id))
        .collect();
    others.sort_unstable();
    others.dedup();
    let mut rest: Vec<users::User> = users::find_many(conn, &others)?.into_values().collect();
    rest.sort_by(|a, b| a.username.cmp(&b.username));
    people.extend(rest);
    Ok(people
        .into_iter()
        .map(|user| {
            let mine: Vec<&OnCall> = shifts.iter().filter(|o| o.user.id == user.id).collect();
            let (lane_of, count) = lanes(
                &mine
                    .iter()
                    .map(|o| (o.shift.starts, o.shift.ends))
                    .collect::<Vec<_>>(),
            );
            let shifts = mine
                .iter()
                .zip(lane_of)
                .filter_map(|(o, lane)| {
                    let y = PERSON_TOP + lane as u32 * PERSON_LANE;
                    span(window, o, viewer.tz, y, o.shift.role.clone())
                })
                .collect();
            PersonLine {
                height: PERSON_TOP + count as u32 * PERSON_LANE + 1,
                on_call: on_call
                    .iter()
                    .flat_map(|r| &r.current)
                    .filter(|o| o.user.id == user.id)
                    .map(|o| (o.shift.role.clone(), TimeView::new(o.shift.ends, viewer.tz)))
                    .collect(),
                holds: holds.get(user.id.as_str()).copied().unwrap_or_default(),
                receiving: receiving.get(user.id.as_str()).copied().unwrap_or_default(),
                nights: window.nights(user.timezone),
                ticks: window.hours(user.timezone, every),
                shifts,
                person: PersonView::new(&user, viewer, now),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_view_is_48_hours_or_a_week_and_anything_else_names_the_field() {
        assert_eq!(View::parse(None).unwrap(), View::Hours);
        assert_eq!(View::parse(Some("48h")).unwrap(), View::Hours);
        assert_eq!(View::parse(Some("week")).unwrap(), View::Week);
        match View::parse(Some("month")) {
            Err(AppError::Invalid { field, .. }) => assert_eq!(field, "view"),
            other => panic!("{other:?}"),
        }
    }
}
