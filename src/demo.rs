//! `baton demo`: fills a database with a realistic team, a year of shifts,
//! open and resolved handoffs and their notes, for newcomers and the benchmark.
//!
//! Everything is written the way the application writes it (ids are UUID v7
//! built from each row's own time, so that id order is time order; versions,
//! excerpts, pending passes and issue links are what the model functions
//! would have left), but in batches inside transactions: a million notes
//! load in about a minute. Note bodies come from a handful of templates,
//! rendered once; only the issue number differs between uses, and it is
//! substituted in both the Markdown and the rendered HTML.

use std::fmt;
use std::time::Instant;

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;

use crate::db::DbConnection;
use crate::db::models::users::{self, User};
use crate::db::schema::{handoffs, handovers, issue_links, notes, shifts};
use crate::domain::handoff::{Kind, Role, Status, Verification};
use crate::domain::issue_ref::{GitLab, find_refs};
use crate::domain::markdown;
use crate::domain::time::{self, Timezone};
use crate::domain::user::Username;

/// The sizes of what `baton demo` makes.
#[derive(Debug, Clone, clap::Args)]
pub struct DemoArgs {
    /// How many users (across at least 8 time zones from 8 users on).
    #[arg(long, default_value_t = 30)]
    pub users: usize,
    /// How many days of follow-the-sun shifts (EOC, IMOC, CMOC), the last two weeks ahead.
    #[arg(long, default_value_t = 365)]
    pub days: usize,
    /// How many open handoffs.
    #[arg(long, default_value_t = 40)]
    pub open: usize,
    /// How many notes in all, on open and resolved handoffs.
    #[arg(long, default_value_t = 2_000)]
    pub notes: usize,
    /// How many resolved handoffs (default: one per 20 notes).
    #[arg(long)]
    pub resolved: Option<usize>,
    /// Add to a database that already has handoffs.
    #[arg(long)]
    pub force: bool,
    /// Seed of the pseudo-random choices (the same seed makes the same data).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl Default for DemoArgs {
    fn default() -> DemoArgs {
        DemoArgs {
            users: 30,
            days: 365,
            open: 40,
            notes: 2_000,
            resolved: None,
            force: false,
            seed: 1,
        }
    }
}

/// What `baton demo` made.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Users added (existing demo users are reused).
    pub users: usize,
    /// Distinct time zones of the demo users.
    pub zones: usize,
    /// Shifts added.
    pub shifts: usize,
    /// Open handoffs added.
    pub open: usize,
    /// Of those, how many wait for acknowledgement.
    pub waiting: usize,
    /// Resolved handoffs added.
    pub resolved: usize,
    /// Notes added.
    pub notes: usize,
    /// Issue links added.
    pub issue_links: usize,
    /// The username to sign in as: an admin with shifts and a pass waiting.
    pub sign_in_as: String,
    /// The open handoff with 30 notes (when `open` ≥ 1).
    pub thirty_notes: Option<String>,
    /// Seconds the load took.
    pub seconds: f64,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "users: {} added, in {} time zones",
            self.users, self.zones
        )?;
        writeln!(
            f,
            "shifts: {} (EOC, IMOC, CMOC, follow the sun)",
            self.shifts
        )?;
        writeln!(
            f,
            "open handoffs: {} ({} waiting for acknowledgement)",
            self.open, self.waiting
        )?;
        writeln!(f, "resolved handoffs: {}", self.resolved)?;
        writeln!(f, "notes: {}", self.notes)?;
        writeln!(f, "issue links: {}", self.issue_links)?;
        writeln!(f, "sign in as: {}", self.sign_in_as)?;
        if let Some(id) = &self.thirty_notes {
            writeln!(f, "handoff with 30 notes: /handoffs/{id}")?;
        }
        write!(f, "took {:.1} s", self.seconds)
    }
}

/// Fills the configured database; returns a summary of what was made.
pub fn run(conn: &mut DbConnection, args: &DemoArgs) -> Result<String, String> {
    let settings = crate::config::Settings::from_env()?;
    let summary = seed(conn, args, &settings.gitlab)?;
    Ok(summary.to_string())
}

/// Fills the database behind `conn` as `args` say. Refuses a database that
/// already has handoffs unless `args.force`.
pub fn seed(conn: &mut DbConnection, args: &DemoArgs, gitlab: &GitLab) -> Result<Summary, String> {
    let started = Instant::now();
    if args.users < 3 {
        return Err("--users must be at least 3".into());
    }
    if args.days < 14 {
        return Err("--days must be at least 14".into());
    }
    let existing: i64 = handoffs::table
        .count()
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    if existing > 0 && !args.force {
        return Err(format!(
            "this database already has {existing} handoffs; use --force to add the demo data anyway"
        ));
    }
    let mut rng = Rng::new(args.seed);
    let now = time::now();
    let mut summary = Summary::default();

    let team = add_team(conn, args.users, &mut summary)?;
    summary.sign_in_as = team.people[0].user.username.clone();
    add_shifts(conn, &team, args.days, now, &mut rng, &mut summary)?;

    let templates = Templates::new(gitlab);
    let mut writer = Writer::new(&templates, &mut summary);

    // Open handoffs: the first has 30 notes, the others a few each; one in
    // four waits for acknowledgement, the first of those by the demo's admin.
    let mut open_notes = 0;
    for i in 0..args.open {
        let n_notes = if i == 0 {
            30
        } else {
            1 + rng.below(8) as usize
        };
        open_notes += n_notes;
        let age = Duration::minutes(30 + rng.below(21 * 24 * 60) as i64);
        let plan = Plan {
            ordinal: i,
            created: now - age,
            end: now - Duration::minutes(1 + rng.below(20) as i64),
            notes: n_notes,
            outcome: if i % 4 == 1 {
                Outcome::Waiting { to_admin: i == 1 }
            } else {
                Outcome::Open
            },
            confidential: i % 10 == 7,
        };
        let id = writer.handoff(&plan, &team, &mut rng);
        if i == 0 {
            writer.summary.thirty_notes = Some(id);
        }
        writer.flush_if_full(conn)?;
    }

    // Resolved handoffs over the year before the last two days, with the
    // remaining notes spread over them (at least two each: opening, closing).
    let remaining = args.notes.saturating_sub(open_notes);
    let resolved = args
        .resolved
        .unwrap_or(remaining.div_ceil(20))
        .min(remaining / 2);
    if resolved > 0 {
        let span_start = now - Duration::days(args.days as i64 - 14);
        let span = (now - Duration::days(2)) - span_start;
        let step = span / resolved as i32;
        let mut left = remaining;
        for k in 0..resolved {
            let slots_after = resolved - k - 1;
            let avg = left / (resolved - k);
            let n = if slots_after == 0 {
                left
            } else {
                let lo = (avg / 2).max(2);
                let hi = (avg + avg / 2).max(lo);
                let n = lo + rng.below((hi - lo + 1) as u64) as usize;
                n.min(left - 2 * slots_after)
            };
            left -= n;
            let created = span_start + step * k as i32 + Duration::seconds(rng.below(3600) as i64);
            // Notes every 20 minutes to 4 hours.
            let gap = Duration::minutes(20 + rng.below(220) as i64);
            let plan = Plan {
                ordinal: args.open + k,
                created,
                end: created + gap * n as i32,
                notes: n,
                outcome: Outcome::Resolved,
                confidential: k % 50 == 3,
            };
            writer.handoff(&plan, &team, &mut rng);
            writer.flush_if_full(conn)?;
        }
    }
    writer.flush(conn)?;
    add_handovers(conn, &team, now, &mut rng)?;
    refresh_statistics(conn)?;
    summary.seconds = started.elapsed().as_secs_f64();
    Ok(summary)
}

// ---------------------------------------------------------------- people

/// First names for usernames; more users get numbered names.
const NAMES: &[&str] = &[
    "alice", "bob", "carol", "dmitri", "priya", "kenji", "fatima", "lars", "mei", "sipho", "ana",
    "raj", "sven", "yuki", "omar", "ingrid", "tariq", "lucia", "hiro", "nadia", "pedro", "anika",
    "ravi", "chloe", "jonas", "amara", "diego", "sakura", "bilal", "elena",
];

/// Time zones in the order users get them, with the follow-the-sun region
/// whose shift (UTC 00–08, 08–16, 16–24) falls in their day.
const ZONES: &[(&str, usize)] = &[
    ("Europe/Amsterdam", 1),
    ("Asia/Tokyo", 0),
    ("America/New_York", 2),
    ("Asia/Kolkata", 0),
    ("Europe/London", 1),
    ("America/Los_Angeles", 2),
    ("Australia/Sydney", 0),
    ("Africa/Nairobi", 1),
    ("America/Sao_Paulo", 2),
    ("Asia/Kathmandu", 0),
    ("Asia/Singapore", 0),
    ("Europe/Berlin", 1),
    ("America/Chicago", 2),
];

/// The rotation roles, each with its own people.
const ROLES: [&str; 3] = ["EOC", "IMOC", "CMOC"];

struct Person {
    user: User,
    region: usize,
}

struct Team {
    people: Vec<Person>,
    /// Indexes into `people` of those who can take handoffs.
    writers: Vec<usize>,
}

impl Team {
    /// A writer other than `not`.
    fn other_writer(&self, not: usize, rng: &mut Rng) -> usize {
        loop {
            let w = self.writers[rng.below(self.writers.len() as u64) as usize];
            if w != not || self.writers.len() == 1 {
                return w;
            }
        }
    }

    /// Who takes shifts in `role` in `region`, in rotation order.
    fn pool(&self, region: usize, role: usize) -> Vec<usize> {
        let in_region: Vec<usize> = self
            .writers
            .iter()
            .copied()
            .filter(|&w| self.people[w].region == region)
            .collect();
        let mine: Vec<usize> = in_region
            .iter()
            .enumerate()
            .filter(|(k, _)| k % ROLES.len() == role)
            .map(|(_, &w)| w)
            .collect();
        if !mine.is_empty() {
            mine
        } else if !in_region.is_empty() {
            in_region
        } else {
            self.writers.clone()
        }
    }
}

fn add_team(conn: &mut DbConnection, count: usize, summary: &mut Summary) -> Result<Team, String> {
    let mut people = Vec::with_capacity(count);
    let mut writers = Vec::new();
    let mut zones = std::collections::HashSet::new();
    for i in 0..count {
        let base = NAMES[i % NAMES.len()];
        let username = Username::parse(&match i / NAMES.len() {
            0 => base.to_owned(),
            n => format!("{base}{}", n + 1),
        })?;
        let (zone, region) = ZONES[i % ZONES.len()];
        let role = if i == 0 {
            Role::Admin
        } else if i % 10 == 2 {
            Role::Viewer
        } else {
            Role::Responder
        };
        let user = match users::find_by_username(conn, &username).map_err(|e| e.to_string())? {
            Some(user) => user,
            None => {
                let tz = Timezone::parse(zone)?;
                let name = display_name(&username);
                summary.users += 1;
                users::create(conn, &username, &name, tz, role).map_err(|e| e.to_string())?
            }
        };
        zones.insert(user.timezone.clone());
        if user.role().can_write() {
            writers.push(i);
        }
        people.push(Person { user, region });
    }
    summary.zones = zones.len();
    if writers.is_empty() {
        return Err("the demo team has nobody who can take handoffs".into());
    }
    Ok(Team { people, writers })
}

/// "alice2" → "Alice 2".
fn display_name(username: &str) -> String {
    let letters: String = username
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let digits = &username[letters.len()..];
    let mut name: String = letters
        .chars()
        .enumerate()
        .map(|(k, c)| if k == 0 { c.to_ascii_uppercase() } else { c })
        .collect();
    if !digits.is_empty() {
        name.push(' ');
        name.push_str(digits);
    }
    name
}

// ---------------------------------------------------------------- shifts

#[derive(Insertable)]
#[diesel(table_name = shifts)]
struct ShiftRow {
    id: String,
    user_id: String,
    role: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    created_at: NaiveDateTime,
}

/// Three eight-hour shifts a day in each role, from `days - 14` days ago
/// to two weeks ahead; each region's people take turns week by week. Skipped
/// when the database already has shifts (a `--force` run).
fn add_shifts(
    conn: &mut DbConnection,
    team: &Team,
    days: usize,
    now: DateTime<Utc>,
    rng: &mut Rng,
    summary: &mut Summary,
) -> Result<(), String> {
    let existing: i64 = shifts::table
        .count()
        .get_result(conn)
        .map_err(|e| e.to_string())?;
    if existing > 0 {
        return Ok(());
    }
    let midnight = now
        .with_hour(0)
        .and_then(|t| t.with_minute(0))
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(now);
    let first = midnight - Duration::days(days as i64 - 14);
    let mut rows = Vec::with_capacity(days * 9);
    for day in 0..days {
        for region in 0..3 {
            let starts = first + Duration::days(day as i64) + Duration::hours(8 * region as i64);
            let ends = starts + Duration::hours(8);
            for (r, role) in ROLES.iter().enumerate() {
                let pool = team.pool(region, r);
                let who = pool[(day / 7 + r) % pool.len()];
                let created = starts - Duration::days(14);
                rows.push(ShiftRow {
                    id: id_at(created, rng),
                    user_id: team.people[who].user.id.clone(),
                    role: (*role).to_owned(),
                    starts_at: time::to_db(starts),
                    ends_at: time::to_db(ends),
                    created_at: time::to_db(created),
                });
            }
        }
    }
    rows.sort_by(|a, b| a.id.cmp(&b.id));
    conn.transaction(|conn| {
        match conn {
            DbConnection::Sqlite(c) => {
                for chunk in rows.chunks(2_000) {
                    diesel::insert_into(shifts::table)
                        .values(chunk)
                        .execute(c)?;
                }
            }
            DbConnection::Postgresql(c) => {
                for chunk in rows.chunks(5_000) {
                    diesel::insert_into(shifts::table)
                        .values(chunk)
                        .execute(c)?;
                }
            }
        }
        diesel::QueryResult::Ok(())
    })
    .map_err(|e| format!("adding shifts: {e}"))?;
    summary.shifts = rows.len();
    Ok(())
}

// ---------------------------------------------------------------- handovers

/// A shift handover summary at each of the last week's EOC changes.
fn add_handovers(
    conn: &mut DbConnection,
    team: &Team,
    now: DateTime<Utc>,
    rng: &mut Rng,
) -> Result<(), String> {
    let changes: Vec<(NaiveDateTime, String)> = shifts::table
        .filter(shifts::role.eq("EOC"))
        .filter(shifts::starts_at.gt(time::to_db(now - Duration::days(7))))
        .filter(shifts::starts_at.le(time::to_db(now)))
        .order(shifts::starts_at.asc())
        .select((shifts::starts_at, shifts::user_id))
        .load(conn)
        .map_err(|e| e.to_string())?;
    let mut previous: Option<String> = None;
    for (at, to) in changes {
        let from = previous
            .replace(to.clone())
            .unwrap_or_else(|| team.people[team.writers[0]].user.id.clone());
        if from == to {
            continue;
        }
        let at = time::from_db(at) - Duration::minutes(5);
        diesel::insert_into(handovers::table)
            .values((
                handovers::id.eq(id_at(at, rng)),
                handovers::from_user_id.eq(&from),
                handovers::to_user_id.eq(&to),
                handovers::summary.eq(HANDOVER_SUMMARY),
                handovers::handoff_count.eq(1 + rng.below(4) as i32),
                handovers::created_at.eq(time::to_db(at)),
            ))
            .execute(conn)
            .map_err(|e| format!("adding handovers: {e}"))?;
    }
    Ok(())
}

const HANDOVER_SUMMARY: &str = "Quiet shift apart from the **registry** errors. \
Watch the replication lag dashboard; the runbook step 3 is done.";

/// Fresh planner statistics after a bulk load, so that the first queries
/// use the indexes, and the housekeeping a bulk load leaves behind done now
/// rather than in the background of whatever runs next (PostgreSQL's
/// autovacuum of the new rows, SQLite's write-ahead log).
fn refresh_statistics(conn: &mut DbConnection) -> Result<(), String> {
    match conn {
        DbConnection::Postgresql(c) => c.batch_execute("VACUUM ANALYZE"),
        DbConnection::Sqlite(c) => {
            c.batch_execute("PRAGMA optimize; PRAGMA wal_checkpoint(TRUNCATE);")
        }
    }
    .map_err(|e| format!("refreshing statistics: {e}"))
}

// ---------------------------------------------------------------- handoffs and notes

/// The issue number that note templates carry until a handoff's own is substituted.
const SENTINEL: &str = "999999999";

/// The project of every demo handoff's incident issue.
const PROJECT: &str = "gitlab-com/gl-infra/production";

/// Titles, combined with a component to vary them.
const TITLES: &[&str] = &[
    "Patroni failover loop on",
    "Elevated 5xx rate on",
    "Replication lag over 30 s on",
    "Disk almost full on",
    "Sidekiq queue backlog on",
    "Certificate expiring on",
    "Latency regression after deploy on",
    "Connection pool saturation on",
    "Intermittent 502s from",
    "Memory leak suspected in",
];

const COMPONENTS: &[&str] = &[
    "the main database cluster",
    "the container registry",
    "git storage shard 7",
    "the CI runners",
    "the API fleet",
    "the web fleet",
    "object storage uploads",
    "the Redis cache cluster",
    "Pages",
    "the search cluster",
];

const DATA_LOSS_TITLES: &[&str] = &[
    "Uploads missing for some projects after migration",
    "CI artifacts possibly deleted by cleanup job",
    "Wiki pages reverted on one storage shard",
    "Merge request diffs unreadable for a few projects",
];

/// Note bodies; `999999999` becomes the handoff's incident issue.
const NOTE_TEMPLATES: &[&str] = &[
    "Checked the dashboards again: error rate back under 0.1 %, but the p99 is still twice the baseline. Leaving the alert silenced until 18:00 UTC.",
    "**Current state:** mitigated, not fixed.\n\n- traffic drained from the bad node\n- replica rebuilt from the last snapshot\n- follow-up in gitlab-com/gl-infra/production#999999999\n\nNext: confirm with the database team before re-enabling.",
    "Rolled back the last deploy; see gitlab-com/gl-infra/production#999999999 for the timeline. Watching for another 30 minutes.",
    "Nothing new in the last hour. The vendor ticket is still open; they promised an answer by their morning.",
    "Ran `gitlab-ctl status` on all nodes: everything up. The spike lines up with the nightly backup, so I suspect I/O contention.",
    "Opened a change request to raise the pool size from 20 to 40. It needs a second reviewer before it can go out.",
    "Customer reports are down to one or two an hour. Support has the macro and links to gitlab-com/gl-infra/production#999999999.",
    "Paged the owning team; they are looking at the query plan. I added the slow query log excerpt to the issue.",
    "1. drained the canary\n2. restarted the workers\n3. error budget for the week is 40 % spent\n\nStill flapping every ~20 minutes.",
    "Status page updated. Next update due in one hour; whoever holds this please post it.",
];

/// Bodies of passing notes.
const PASS_TEMPLATES: &[&str] = &[
    "Handing this over for the next shift. Summary: mitigated, watch the error rate; the runbook is linked in gitlab-com/gl-infra/production#999999999.",
    "End of my shift: nothing urgent left, but keep an eye on the replication lag graph. Please acknowledge when you have it.",
    "Passing this on: the fix is merged, deploy to production is scheduled for the next window.",
];

/// Bodies of closing notes.
const RESOLVE_TEMPLATES: &[&str] = &[
    "Resolved: root cause was a misconfigured connection limit; fixed and verified for 24 h. Post-incident review in gitlab-com/gl-infra/production#999999999.",
    "No recurrence in two days. Closing; the follow-up work is tracked in the corrective actions.",
    "Resolved after the vendor fix. Alerts back to normal thresholds.",
];

/// A note body with its rendered HTML and the references its text makes.
struct Template {
    body: String,
    html: String,
    /// `(project, iid)` with `iid` = `SENTINEL` to substitute.
    refs: Vec<(String, String)>,
    /// Whether body and HTML hold the sentinel.
    substitutes: bool,
}

struct Templates {
    notes: Vec<Template>,
    passes: Vec<Template>,
    resolves: Vec<Template>,
}

impl Templates {
    fn new(gitlab: &GitLab) -> Templates {
        let make = |bodies: &[&str]| -> Vec<Template> {
            bodies
                .iter()
                .map(|body| Template {
                    body: (*body).to_owned(),
                    html: markdown::render(body, gitlab),
                    refs: find_refs(body, gitlab)
                        .iter()
                        .map(|r| (r.project().to_owned(), r.iid().to_string()))
                        .collect(),
                    substitutes: body.contains(SENTINEL),
                })
                .collect()
        };
        Templates {
            notes: make(NOTE_TEMPLATES),
            passes: make(PASS_TEMPLATES),
            resolves: make(RESOLVE_TEMPLATES),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = handoffs, treat_none_as_default_value = false)]
struct HandoffRow {
    id: String,
    kind: String,
    title: String,
    severity: i32,
    status: String,
    confidential: bool,
    holder_id: String,
    pending_to_id: Option<String>,
    pending_since: Option<NaiveDateTime>,
    pending_note_id: Option<String>,
    created_by_id: String,
    dl_scope: Option<String>,
    dl_recovery_point: Option<String>,
    dl_verification: Option<String>,
    dl_customers_notified: Option<bool>,
    latest_note_excerpt: String,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    last_activity_at: NaiveDateTime,
    resolved_at: Option<NaiveDateTime>,
    version: i32,
}

#[derive(Insertable)]
#[diesel(table_name = notes, treat_none_as_default_value = false)]
struct NoteRow {
    id: String,
    handoff_id: String,
    author_id: String,
    body: String,
    body_html: String,
    pass_to_id: Option<String>,
    acknowledged_at: Option<NaiveDateTime>,
    resolves: bool,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
}

#[derive(Insertable)]
#[diesel(table_name = issue_links, treat_none_as_default_value = false)]
struct LinkRow {
    id: String,
    handoff_id: String,
    note_id: Option<String>,
    project: String,
    iid: i64,
}

/// How a planned handoff ends up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// Open, held.
    Open,
    /// Open, its last note a pass not yet acknowledged (by the admin, if `to_admin`).
    Waiting { to_admin: bool },
    /// Resolved by its last note.
    Resolved,
}

/// One handoff to write.
struct Plan {
    ordinal: usize,
    created: DateTime<Utc>,
    /// The time of the last note.
    end: DateTime<Utc>,
    notes: usize,
    outcome: Outcome,
    confidential: bool,
}

/// Buffers rows and writes them in batches, each batch one transaction.
struct Writer<'a> {
    templates: &'a Templates,
    summary: &'a mut Summary,
    handoffs: Vec<HandoffRow>,
    notes: Vec<NoteRow>,
    links: Vec<LinkRow>,
    announced: usize,
}

/// Notes per transaction.
const BATCH_NOTES: usize = 25_000;

impl<'a> Writer<'a> {
    fn new(templates: &'a Templates, summary: &'a mut Summary) -> Writer<'a> {
        Writer {
            templates,
            summary,
            handoffs: Vec::new(),
            notes: Vec::with_capacity(BATCH_NOTES + 1_000),
            links: Vec::new(),
            announced: 0,
        }
    }

    /// Builds the rows of one handoff as the model functions would have
    /// written them; returns its id.
    fn handoff(&mut self, plan: &Plan, team: &Team, rng: &mut Rng) -> String {
        let id = id_at(plan.created, rng);
        let iid = 10_000 + plan.ordinal as i64;
        let iid_text = iid.to_string();
        let data_loss = plan.ordinal % 4 == 3;
        let creator = team.writers[rng.below(team.writers.len() as u64) as usize];
        let mut holder = creator;
        let mut version = 0;
        let mut last_activity = plan.created;
        let mut pending: Option<(usize, DateTime<Utc>, String)> = None;
        let mut last_body = String::new();

        self.links.push(LinkRow {
            id: id_at(plan.created, rng),
            handoff_id: id.clone(),
            note_id: None,
            project: PROJECT.to_owned(),
            iid,
        });
        if plan.ordinal.is_multiple_of(3) {
            self.links.push(LinkRow {
                id: id_at(plan.created, rng),
                handoff_id: id.clone(),
                note_id: None,
                project: "gitlab-org/gitlab".to_owned(),
                iid: 400_000 + (plan.ordinal as i64 * 7) % 90_000,
            });
        }

        let n = plan.notes.max(1);
        let span = plan.end - plan.created;
        for j in 0..n {
            let at = if n == 1 {
                plan.created
            } else {
                plan.created + span * j as i32 / (n as i32 - 1)
            };
            let at = truncate_micros(at + Duration::milliseconds(rng.below(900) as i64));
            let last = j + 1 == n;
            // The holder writes; a pass changes the holder only once acknowledged.
            let author = holder;
            let gap_to_next = if last {
                Duration::zero()
            } else {
                span / n as i32
            };
            let (template, pass_to, resolves) = if last && plan.outcome == Outcome::Resolved {
                (&self.templates.resolves[rng.below(3) as usize], None, true)
            } else if last && let Outcome::Waiting { to_admin } = plan.outcome {
                let admin = 0;
                let to = if to_admin && holder != admin && team.writers.contains(&admin) {
                    admin
                } else {
                    team.other_writer(holder, rng)
                };
                let t = &self.templates.passes[rng.below(3) as usize];
                (t, Some(to), false)
            } else if j > 0 && !last && rng.below(100) < 25 && team.writers.len() > 1 {
                let to = team.other_writer(holder, rng);
                let t = &self.templates.passes[rng.below(3) as usize];
                (t, Some(to), false)
            } else {
                let t = &self.templates.notes[rng.below(NOTE_TEMPLATES.len() as u64) as usize];
                (t, None, false)
            };
            let note_id = id_at(at, rng);
            let (body, html) = if template.substitutes {
                (
                    template.body.replace(SENTINEL, &iid_text),
                    template.html.replace(SENTINEL, &iid_text),
                )
            } else {
                (template.body.clone(), template.html.clone())
            };
            for (project, ref_iid) in &template.refs {
                let ref_iid = if ref_iid == SENTINEL {
                    iid
                } else {
                    ref_iid.parse().unwrap_or(iid)
                };
                self.links.push(LinkRow {
                    id: id_at(at, rng),
                    handoff_id: id.clone(),
                    note_id: Some(note_id.clone()),
                    project: project.clone(),
                    iid: ref_iid,
                });
            }
            version += 1;
            last_activity = at;
            let mut acknowledged_at = None;
            if let Some(to) = pass_to {
                if last {
                    pending = Some((to, at, note_id.clone()));
                } else {
                    // Acknowledged within the gap to the next note.
                    let wait = Duration::seconds(
                        30 + rng.below(gap_to_next.num_seconds().max(60) as u64 / 2) as i64,
                    );
                    let ack = truncate_micros(at + wait);
                    acknowledged_at = Some(time::to_db(ack));
                    holder = to;
                    version += 1;
                    last_activity = ack;
                }
            }
            if last {
                last_body = body.clone();
            }
            self.notes.push(NoteRow {
                id: note_id,
                handoff_id: id.clone(),
                author_id: team.people[author].user.id.clone(),
                body,
                body_html: html,
                pass_to_id: pass_to.map(|p| team.people[p].user.id.clone()),
                acknowledged_at,
                resolves,
                created_at: time::to_db(at),
                edited_at: None,
            });
        }
        let resolved = plan.outcome == Outcome::Resolved;
        let (kind, title) = if data_loss {
            (
                Kind::PerceivedDataLoss,
                DATA_LOSS_TITLES[plan.ordinal / 4 % DATA_LOSS_TITLES.len()].to_owned(),
            )
        } else {
            (
                Kind::Outage,
                format!(
                    "{} {}",
                    TITLES[plan.ordinal % TITLES.len()],
                    COMPONENTS[plan.ordinal / TITLES.len() % COMPONENTS.len()]
                ),
            )
        };
        let verification = [
            Verification::Unverified,
            Verification::Confirmed,
            Verification::RuledOut,
        ][plan.ordinal % 3];
        let (pending_to_id, pending_since, pending_note_id) = match pending {
            Some((to, at, note)) => (
                Some(team.people[to].user.id.clone()),
                Some(time::to_db(at)),
                Some(note),
            ),
            None => (None, None, None),
        };
        if pending_to_id.is_some() {
            self.summary.waiting += 1;
        }
        self.handoffs.push(HandoffRow {
            id: id.clone(),
            kind: kind.as_str().to_owned(),
            title,
            severity: (plan.ordinal % 4) as i32 + 1,
            status: if resolved {
                Status::Resolved
            } else {
                Status::Open
            }
            .as_str()
            .to_owned(),
            confidential: plan.confidential,
            holder_id: team.people[holder].user.id.clone(),
            pending_to_id,
            pending_since,
            pending_note_id,
            created_by_id: team.people[creator].user.id.clone(),
            dl_scope: data_loss
                .then(|| "uploads of about 40 projects on one storage shard".to_owned()),
            dl_recovery_point: data_loss.then(|| "last good snapshot 03:10 UTC".to_owned()),
            dl_verification: data_loss.then(|| verification.as_str().to_owned()),
            dl_customers_notified: data_loss.then_some(plan.ordinal.is_multiple_of(2)),
            latest_note_excerpt: markdown::excerpt(&last_body, EXCERPT_CHARS),
            created_at: time::to_db(plan.created),
            updated_at: time::to_db(last_activity),
            last_activity_at: time::to_db(last_activity),
            resolved_at: resolved.then(|| time::to_db(plan.end)),
            version,
        });
        if resolved {
            self.summary.resolved += 1;
        } else {
            self.summary.open += 1;
        }
        id
    }

    fn flush_if_full(&mut self, conn: &mut DbConnection) -> Result<(), String> {
        if self.notes.len() >= BATCH_NOTES {
            self.flush(conn)?;
        }
        Ok(())
    }

    /// Writes the buffered rows in one transaction: handoffs, then their
    /// notes, then the links (which refer to both).
    fn flush(&mut self, conn: &mut DbConnection) -> Result<(), String> {
        if self.handoffs.is_empty() {
            return Ok(());
        }
        self.notes.sort_by(|a, b| a.id.cmp(&b.id));
        let (note_count, link_count) = (self.notes.len(), self.links.len());
        let handoffs = std::mem::take(&mut self.handoffs);
        let notes = std::mem::replace(&mut self.notes, Vec::with_capacity(BATCH_NOTES + 1_000));
        let links = std::mem::take(&mut self.links);
        conn.transaction(move |conn| {
            match conn {
                DbConnection::Sqlite(c) => {
                    // At most 32766 bound values per statement.
                    for chunk in handoffs.chunks(1_000) {
                        diesel::insert_into(handoffs::table)
                            .values(chunk)
                            .execute(c)?;
                    }
                    for chunk in notes.chunks(2_000) {
                        diesel::insert_into(notes::table).values(chunk).execute(c)?;
                    }
                    for chunk in links.chunks(5_000) {
                        diesel::insert_into(issue_links::table)
                            .values(chunk)
                            .execute(c)?;
                    }
                }
                DbConnection::Postgresql(c) => {
                    diesel::copy_from(handoffs::table)
                        .from_insertable(handoffs)
                        .execute(c)?;
                    diesel::copy_from(notes::table)
                        .from_insertable(notes)
                        .execute(c)?;
                    diesel::copy_from(issue_links::table)
                        .from_insertable(links)
                        .execute(c)?;
                }
            }
            diesel::QueryResult::Ok(())
        })
        .map_err(|e| format!("writing handoffs and notes: {e}"))?;
        self.summary.notes += note_count;
        self.summary.issue_links += link_count;
        if self.summary.notes >= self.announced + 100_000 {
            self.announced = self.summary.notes;
            eprintln!("demo: {} notes written", self.summary.notes);
        }
        Ok(())
    }
}

/// How long the dashboard excerpt is (as the model writes it).
const EXCERPT_CHARS: usize = 160;

// ---------------------------------------------------------------- ids, times, randomness

/// A UUID v7 whose time part is `at`, as stored text.
fn id_at(at: DateTime<Utc>, rng: &mut Rng) -> String {
    let millis = u64::try_from(at.timestamp_millis()).unwrap_or(0);
    let mut random = [0u8; 10];
    random[..8].copy_from_slice(&rng.next().to_le_bytes());
    random[8..].copy_from_slice(&rng.next().to_le_bytes()[..2]);
    uuid::Builder::from_unix_timestamp_millis(millis, &random)
        .into_uuid()
        .to_string()
}

fn truncate_micros(t: DateTime<Utc>) -> DateTime<Utc> {
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// SplitMix64: small, fast and good enough for made-up data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_substituted_template_is_what_rendering_the_note_would_give() {
        let gitlab = GitLab::new("https://gitlab.com", None).expect("gitlab");
        let templates = Templates::new(&gitlab);
        let all = templates
            .notes
            .iter()
            .chain(&templates.passes)
            .chain(&templates.resolves);
        let mut substituted = 0;
        for t in all.filter(|t| t.substitutes) {
            let body = t.body.replace(SENTINEL, "10042");
            assert_eq!(
                t.html.replace(SENTINEL, "10042"),
                markdown::render(&body, &gitlab)
            );
            let refs: Vec<(String, u64)> = find_refs(&body, &gitlab)
                .iter()
                .map(|r| (r.project().to_owned(), r.iid()))
                .collect();
            assert!(refs.contains(&(PROJECT.to_owned(), 10042)), "{refs:?}");
            substituted += 1;
        }
        assert!(substituted >= 3);
    }

    #[test]
    fn ids_made_from_a_time_sort_in_time_order() {
        let mut rng = Rng::new(7);
        let t = Utc::now();
        let earlier = id_at(t - Duration::milliseconds(1), &mut rng);
        let later = id_at(t, &mut rng);
        assert!(earlier < later);
        assert!(uuid::Uuid::parse_str(&later).is_ok_and(|u| u.get_version_num() == 7));
    }

    #[test]
    fn display_names_read_as_names() {
        assert_eq!(display_name("alice"), "Alice");
        assert_eq!(display_name("bob2"), "Bob 2");
    }
}
