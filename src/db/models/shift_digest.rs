//! What happened during a shift, read for the summary `/handover` starts
//! from: the production events, the handoffs opened, passed, acknowledged
//! and resolved in its span, and the GitLab outages nobody holds now.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::config::GitLabLive;
use crate::db::models::events::{self, EventFilter};
use crate::db::models::gitlab;
use crate::db::models::handoffs::{Handoff, Note};
use crate::db::models::users;
use crate::db::schema::{handoffs, notes};
use crate::db::{DbConnection, on_backend};
use crate::domain::handover::{Change, EventLine, HandoffChange, Outage, ShiftDigest, ShiftSpan};
use crate::domain::issue_ref::GitLab;
use crate::domain::time;
use crate::error::AppError;

/// The most lines of each kind a summary lists (a shift with more is
/// summed up by its newest).
const MOST: i64 = 300;

/// What happened during `shift`; the uncovered outages only when `live`
/// reads issues from GitLab.
pub fn digest(
    conn: &mut DbConnection,
    shift: ShiftSpan,
    live: &GitLabLive,
    gitlab: &GitLab,
) -> Result<ShiftDigest, AppError> {
    let (from, to) = (time::to_db(shift.starts), time::to_db(shift.until));
    let in_span = |t: DateTime<Utc>| t >= shift.starts && t < shift.until;
    let mut changes = vec![];

    let opened: Vec<Handoff> = on_backend!(conn, |c| handoffs::table
        .filter(
            handoffs::created_at
                .ge(from)
                .and(handoffs::created_at.lt(to))
        )
        .order(handoffs::created_at.desc())
        .limit(MOST)
        .load(c))?;
    for h in &opened {
        changes.push(change(
            h,
            h.created(),
            Change::Opened {
                kind: h.kind,
                severity: h.severity,
            },
        ));
    }
    let resolved: Vec<Handoff> = on_backend!(conn, |c| handoffs::table
        .filter(
            handoffs::resolved_at
                .ge(from)
                .and(handoffs::resolved_at.lt(to))
        )
        .order(handoffs::resolved_at.desc())
        .limit(MOST)
        .load(c))?;
    for h in &resolved {
        if let Some(at) = h.resolved_at {
            changes.push(change(h, time::from_db(at), Change::Resolved));
        }
    }
    let passed: Vec<(Note, Handoff)> = on_backend!(conn, |c| notes::table
        .inner_join(handoffs::table)
        .filter(notes::pass_to_id.is_not_null())
        .filter(notes::created_at.ge(from).and(notes::created_at.lt(to)))
        .order(notes::created_at.desc())
        .limit(MOST)
        .select((notes::all_columns, handoffs::all_columns))
        .load(c))?;
    let acknowledged: Vec<(Note, Handoff)> = on_backend!(conn, |c| notes::table
        .inner_join(handoffs::table)
        .filter(
            notes::acknowledged_at
                .ge(from)
                .and(notes::acknowledged_at.lt(to))
        )
        .order(notes::acknowledged_at.desc())
        .limit(MOST)
        .select((notes::all_columns, handoffs::all_columns))
        .load(c))?;
    let ids: Vec<&str> = passed
        .iter()
        .chain(&acknowledged)
        .filter_map(|(n, _)| n.pass_to_id.as_deref())
        .collect();
    let people = users::find_many(conn, &ids)?;
    let name = |id: &Option<String>| {
        id.as_ref()
            .and_then(|id| people.get(id))
            .map_or_else(|| "someone".to_owned(), |u| u.name.clone())
    };
    for (n, h) in &passed {
        changes.push(change(
            h,
            time::from_db(n.created_at),
            Change::Passed(name(&n.pass_to_id)),
        ));
    }
    for (n, h) in &acknowledged {
        if let Some(at) = n.acknowledged_at {
            changes.push(change(
                h,
                time::from_db(at),
                Change::Acknowledged(name(&n.pass_to_id)),
            ));
        }
    }
    changes.retain(|c| in_span(c.at));
    changes.sort_by(|a, b| (a.at, &a.handoff_id).cmp(&(b.at, &b.handoff_id)));

    let filter = EventFilter {
        from: Some(shift.starts),
        to: Some(shift.until),
        ..EventFilter::default()
    };
    let mut events: Vec<EventLine> = events::list(conn, &filter, MOST)?
        .into_iter()
        .map(|e| EventLine {
            at: e.event.occurred(),
            kind: e.event.kind,
            title: e.event.title.clone(),
            issues: e.issues.iter().map(ToString::to_string).collect(),
        })
        .collect();
    events.reverse();

    let outages = if live.reads_issues() && !live.projects.is_empty() {
        gitlab::uncovered(conn)?
            .iter()
            .filter_map(|c| {
                let issue = c.watched_now(live)?;
                Some(Outage {
                    reference: issue.to_string(),
                    title: (!c.confidential).then(|| c.title.clone()),
                    url: issue.url(gitlab),
                })
            })
            .collect()
    } else {
        vec![]
    };
    Ok(ShiftDigest {
        shift,
        events,
        changes,
        outages,
    })
}

/// A change of `h` at `at`; a confidential handoff's title left out.
fn change(h: &Handoff, at: DateTime<Utc>, change: Change) -> HandoffChange {
    HandoffChange {
        at,
        handoff_id: h.id.clone(),
        title: (!h.confidential).then(|| h.title.clone()),
        change,
    }
}
