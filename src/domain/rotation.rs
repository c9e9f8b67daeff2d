//! Rotations and the final schedule: who is on call in a role at an
//! instant, from the rotations' derived shifts and the explicit ones
//! (overrides), computed for any span without storing years of rows.
//!
//! A rotation is a list of **plans**, each in force from an instant on
//! (`effective_from`) until the next plan's: a change to a rotation adds a
//! plan from an instant on and never rewrites what was in force before it.
//! A plan has its anchor (`starts_at`), a rhythm (a fixed length, or daily
//! hand-off times in UTC) and its ordered members. The slots of a rhythm
//! are numbered from the anchor; slot `k` belongs to member `k mod n`.
//!
//! Everything here is in UTC instants: a hand-off time is a UTC time of
//! day, so a shift that crosses a daylight-saving change lasts what it
//! says, and local rendering is the time module's business.

use chrono::{DateTime, Duration, Utc};

use crate::domain::shift::MAX_SHIFT;

/// The shortest fixed shift length.
pub const MIN_LENGTH: Duration = Duration::hours(1);
/// The most daily hand-off times.
pub const MAX_HANDOFF_TIMES: usize = 24;
/// The most members of a rotation.
pub const MAX_MEMBERS: usize = 50;
/// The longest rotation name, in characters.
pub const MAX_NAME_CHARS: usize = 80;

const DAY: i64 = 86_400;

/// How a rotation's shifts follow one another.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rhythm {
    /// Shifts of one fixed length (1 hour to 14 days), back to back from the anchor.
    Every(Duration),
    /// Hand-offs at these UTC times of each day (seconds after midnight,
    /// strictly increasing): the first shift starts at the first of them at
    /// or after the anchor.
    Daily(Vec<i64>),
}

impl Rhythm {
    /// The rhythm written as a person types it: `12h`, `7d`, `90m`, or the
    /// hand-off times `00:00,08:00,16:00`.
    pub fn parse(text: &str) -> Result<Rhythm, String> {
        let text = text.trim();
        if text.contains(':') {
            parse_handoff_times(text).map(Rhythm::Daily)
        } else {
            parse_length(text).map(Rhythm::Every)
        }
    }

    /// The rhythm as [`Rhythm::parse`] reads it.
    pub fn text(&self) -> String {
        match self {
            Rhythm::Every(length) => length_text(*length),
            Rhythm::Daily(times) => times_text(times),
        }
    }

    /// The slot that holds `at` for a plan anchored at `anchor`: its
    /// number and its span; `None` before the first slot.
    pub fn slot_at(&self, anchor: DateTime<Utc>, at: DateTime<Utc>) -> Option<Slot> {
        if at < anchor {
            return None;
        }
        match self {
            Rhythm::Every(length) => {
                let len = length.num_seconds().max(1);
                let k = (at - anchor).num_seconds().div_euclid(len);
                Some(self.slot(anchor, k))
            }
            Rhythm::Daily(times) => {
                let first = count_before(times, anchor.timestamp());
                let upto = count_upto(times, at.timestamp());
                let k = upto - first - 1;
                (k >= 0).then(|| self.slot(anchor, k))
            }
        }
    }

    /// Slot `k` of a plan anchored at `anchor`.
    pub fn slot(&self, anchor: DateTime<Utc>, k: i64) -> Slot {
        match self {
            Rhythm::Every(length) => {
                let starts = anchor + *length * (k as i32);
                Slot {
                    index: k,
                    starts,
                    ends: starts + *length,
                }
            }
            Rhythm::Daily(times) => {
                let first = count_before(times, anchor.timestamp());
                Slot {
                    index: k,
                    starts: handoff_instant(times, first + k),
                    ends: handoff_instant(times, first + k + 1),
                }
            }
        }
    }
}

/// One slot of a rhythm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    /// Its number from the anchor (0 is the first).
    pub index: i64,
    /// Its start.
    pub starts: DateTime<Utc>,
    /// Its end.
    pub ends: DateTime<Utc>,
}

/// How many hand-off instants fall before `t` (seconds since the epoch),
/// counted from the epoch's first day.
fn count_before(times: &[i64], t: i64) -> i64 {
    let n = times.len() as i64;
    let (day, second) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    day * n + times.iter().filter(|h| **h < second).count() as i64
}

/// How many hand-off instants fall at or before `t`.
fn count_upto(times: &[i64], t: i64) -> i64 {
    let n = times.len() as i64;
    let (day, second) = (t.div_euclid(DAY), t.rem_euclid(DAY));
    day * n + times.iter().filter(|h| **h <= second).count() as i64
}

/// The `g`-th hand-off instant from the epoch's first day.
fn handoff_instant(times: &[i64], g: i64) -> DateTime<Utc> {
    let n = (times.len() as i64).max(1);
    let secs = g.div_euclid(n) * DAY + times.get(g.rem_euclid(n) as usize).copied().unwrap_or(0);
    DateTime::from_timestamp(secs, 0).unwrap_or_default()
}

/// A fixed shift length: a whole number of minutes (`90m`), hours (`12h`)
/// or days (`7d`), from 1 hour to 14 days.
pub fn parse_length(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    let (digits, unit) = text.split_at(text.len().saturating_sub(1));
    let count: i64 = digits
        .parse()
        .map_err(|_| format!("{text:?} is not a length such as 12h, 7d or 90m"))?;
    let length = match unit {
        "m" => Duration::minutes(count),
        "h" => Duration::hours(count),
        "d" => Duration::days(count),
        _ => return Err(format!("{text:?} is not a length such as 12h, 7d or 90m")),
    };
    if length < MIN_LENGTH || length > MAX_SHIFT {
        return Err("a shift length is from 1 hour to 14 days".into());
    }
    Ok(length)
}

/// A length as [`parse_length`] reads it, in the largest whole unit.
pub fn length_text(length: Duration) -> String {
    let minutes = length.num_minutes();
    if minutes % (24 * 60) == 0 {
        format!("{}d", minutes / (24 * 60))
    } else if minutes % 60 == 0 {
        format!("{}h", minutes / 60)
    } else {
        format!("{minutes}m")
    }
}

/// Daily hand-off times in UTC, `HH:MM` separated by commas, in order
/// through the day, each once: `00:00,08:00,16:00`.
pub fn parse_handoff_times(text: &str) -> Result<Vec<i64>, String> {
    let mut times = vec![];
    for part in text.split(',').map(str::trim) {
        let bad = || format!("{part:?} is not a UTC time such as 08:00");
        let (h, m) = part.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let (h, m): (i64, i64) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(0..24).contains(&h) || !(0..60).contains(&m) {
            return Err(bad());
        }
        let second = h * 3600 + m * 60;
        if times.last().is_some_and(|last| *last >= second) {
            return Err("hand-off times are in order through the day, each once".into());
        }
        times.push(second);
    }
    if times.len() > MAX_HANDOFF_TIMES {
        return Err(format!("at most {MAX_HANDOFF_TIMES} hand-off times a day"));
    }
    Ok(times)
}

/// Hand-off times as [`parse_handoff_times`] reads them.
pub fn times_text(times: &[i64]) -> String {
    times
        .iter()
        .map(|s| format!("{:02}:{:02}", s / 3600, s % 3600 / 60))
        .collect::<Vec<_>>()
        .join(",")
}

/// A rotation name: a line of 1 to [`MAX_NAME_CHARS`] characters.
pub fn parse_name(text: &str) -> Result<String, String> {
    let name = text.trim();
    if name.is_empty() {
        return Err("a rotation needs a name, such as \"EOC follow the sun\"".into());
    }
    crate::domain::text::check_line("the name", name)?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(format!("a name is at most {MAX_NAME_CHARS} characters"));
    }
    Ok(name.to_owned())
}

/// The member list's own rules (that each member exists is the caller's):
/// at least one, at most [`MAX_MEMBERS`], nobody twice.
pub fn check_members(members: &[String]) -> Result<(), String> {
    if members.is_empty() {
        return Err("a rotation needs at least one member".into());
    }
    if members.len() > MAX_MEMBERS {
        return Err(format!("a rotation has at most {MAX_MEMBERS} members"));
    }
    for (i, m) in members.iter().enumerate() {
        if members[..i].contains(m) {
            return Err(format!("{m} is listed twice"));
        }
    }
    Ok(())
}

/// A plan of a rotation, in force from `effective_from` until the next one.
#[derive(Debug, Clone)]
pub struct Plan {
    /// From when it is in force.
    pub effective_from: DateTime<Utc>,
    /// The anchor its slots are numbered from.
    pub starts_at: DateTime<Utc>,
    /// How its shifts follow one another.
    pub rhythm: Rhythm,
    /// Its members (user ids), in order.
    pub members: Vec<String>,
    /// When it was written (for the feeds' `SEQUENCE`).
    pub written_at: DateTime<Utc>,
}

/// A rotation as the schedule needs it.
#[derive(Debug, Clone)]
pub struct RotationPlans {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its role.
    pub role: String,
    /// Its plans, by `effective_from`.
    pub plans: Vec<Plan>,
}

/// An explicit shift (an override): it wins over the derived ones of its
/// role for its span.
#[derive(Debug, Clone)]
pub struct Explicit {
    /// The shift's id.
    pub id: String,
    /// Who.
    pub user_id: String,
    /// The role.
    pub role: String,
    /// Start.
    pub starts: DateTime<Utc>,
    /// End.
    pub ends: DateTime<Utc>,
    /// When it was last written.
    pub written_at: DateTime<Utc>,
}

/// Where a shift of the final schedule comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Derived from a rotation: which, and the start of the derived
    /// segment it is (part of), which with `piece` names it stably.
    Rotation {
        /// The rotation's id.
        rotation_id: String,
        /// The rotation's name.
        name: String,
        /// The start of the derived segment before overrides cut it.
        segment_starts: DateTime<Utc>,
        /// Which piece of the segment is left after overrides (0 first).
        piece: usize,
    },
    /// An explicit shift.
    Override {
        /// The shift's id.
        shift_id: String,
    },
}

/// A shift of the final schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scheduled {
    /// The role.
    pub role: String,
    /// Who.
    pub user_id: String,
    /// Start.
    pub starts: DateTime<Utc>,
    /// End.
    pub ends: DateTime<Utc>,
    /// Where it comes from.
    pub source: Source,
    /// The last change that shaped it.
    pub changed_at: DateTime<Utc>,
}

impl Scheduled {
    /// A name that stays the same for the same shift across fetches.
    pub fn uid(&self) -> String {
        match &self.source {
            Source::Rotation {
                rotation_id,
                segment_starts,
                piece,
                ..
            } => format!(
                "rotation-{rotation_id}-{}-{piece}@baton",
                segment_starts.timestamp()
            ),
            Source::Override { shift_id } => format!("shift-{shift_id}@baton"),
        }
    }

    /// Whether it holds `at`.
    pub fn holds(&self, at: DateTime<Utc>) -> bool {
        self.starts <= at && at < self.ends
    }
}

/// A derived segment: a slot, cut at the plans' boundaries.
struct Segment {
    user_id: String,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    changed_at: DateTime<Utc>,
}

/// The derived segments of `rotation` that overlap `[from, to)`, whole.
fn segments(rotation: &RotationPlans, from: DateTime<Utc>, to: DateTime<Utc>) -> Vec<Segment> {
    let mut out = vec![];
    for (i, plan) in rotation.plans.iter().enumerate() {
        let next = rotation.plans.get(i + 1);
        let until = next.map(|n| n.effective_from);
        let lo = plan.effective_from.max(from);
        let hi = until.map_or(to, |u| u.min(to));
        if lo >= hi || plan.members.is_empty() {
            continue;
        }
        // Before its first slot (hand-off times: the first at or after the
        // anchor), the plan's shifts begin with slot 0.
        let mut slot = plan
            .rhythm
            .slot_at(plan.starts_at, lo)
            .unwrap_or_else(|| plan.rhythm.slot(plan.starts_at, 0));
        while slot.starts < hi {
            let starts = slot.starts.max(plan.effective_from);
            let ends = until.map_or(slot.ends, |u| slot.ends.min(u));
            if ends > starts && ends > from {
                let member =
                    &plan.members[slot.index.rem_euclid(plan.members.len() as i64) as usize];
                let cut = until.filter(|u| *u < slot.ends);
                let changed_at = match (cut, next) {
                    (Some(_), Some(n)) => plan.written_at.max(n.written_at),
                    _ => plan.written_at,
                };
                out.push(Segment {
                    user_id: member.clone(),
                    starts,
                    ends,
                    changed_at,
                });
            }
            slot = plan.rhythm.slot(plan.starts_at, slot.index + 1);
        }
    }
    out
}

/// The final schedule for `[from, to)`: every shift that overlaps the
/// span (whole, not cut at its edges), derived and explicit, where an
/// explicit shift wins over the derived ones of its role for its span.
/// By start, then role. `explicit` must hold every explicit shift that
/// overlaps `[from - 14 days, to + 14 days)`.
pub fn schedule(
    rotations: &[RotationPlans],
    explicit: &[Explicit],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Vec<Scheduled> {
    let mut out: Vec<Scheduled> = explicit
        .iter()
        .filter(|e| e.starts < to && e.ends > from)
        .map(|e| Scheduled {
            role: e.role.clone(),
            user_id: e.user_id.clone(),
            starts: e.starts,
            ends: e.ends,
            source: Source::Override {
                shift_id: e.id.clone(),
            },
            changed_at: e.written_at,
        })
        .collect();
    for rotation in rotations {
        let mut overrides: Vec<&Explicit> = explicit
            .iter()
            .filter(|e| e.role == rotation.role)
            .collect();
        overrides.sort_by_key(|o| o.starts);
        let longest = overrides
            .iter()
            .map(|o| o.ends - o.starts)
            .max()
            .unwrap_or_default();
        for segment in segments(rotation, from, to) {
            let mut pieces = vec![(segment.starts, segment.ends)];
            let mut changed_at = segment.changed_at;
            // Only the overrides that may overlap the segment: none that
            // ends before it (started a longest override before it), none
            // that starts after it. Cutting is the same in any order.
            let first = overrides.partition_point(|o| o.starts + longest <= segment.starts);
            for o in overrides[first..]
                .iter()
                .take_while(|o| o.starts < segment.ends)
            {
                if o.starts < segment.ends && o.ends > segment.starts {
                    changed_at = changed_at.max(o.written_at);
                }
                pieces = pieces
                    .into_iter()
                    .flat_map(|(s, e)| {
                        if o.ends <= s || o.starts >= e {
                            vec![(s, e)]
                        } else {
                            [(s, o.starts), (o.ends, e)]
                                .into_iter()
                                .filter(|(a, b)| a < b)
                                .collect()
                        }
                    })
                    .collect();
            }
            for (piece, (starts, ends)) in pieces.into_iter().enumerate() {
                if starts < to && ends > from {
                    out.push(Scheduled {
                        role: rotation.role.clone(),
                        user_id: segment.user_id.clone(),
                        starts,
                        ends,
                        source: Source::Rotation {
                            rotation_id: rotation.id.clone(),
                            name: rotation.name.clone(),
                            segment_starts: segment.starts,
                            piece,
                        },
                        changed_at,
                    });
                }
            }
        }
    }
    out.sort_by(|a, b| (a.starts, &a.role, &a.user_id).cmp(&(b.starts, &b.role, &b.user_id)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(text: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(text)
            .unwrap()
            .with_timezone(&Utc)
    }

    fn sun(members: &[&str], effective: &str) -> Plan {
        Plan {
            effective_from: at(effective),
            starts_at: at("2026-03-01T00:00:00Z"),
            rhythm: Rhythm::parse("00:00,08:00,16:00").unwrap(),
            members: members.iter().map(|m| m.to_string()).collect(),
            written_at: at(effective),
        }
    }

    fn rotation(plans: Vec<Plan>) -> RotationPlans {
        RotationPlans {
            id: "r1".into(),
            name: "EOC".into(),
            role: "EOC".into(),
            plans,
        }
    }

    fn who(r: &RotationPlans, explicit: &[Explicit], t: &str) -> Vec<String> {
        let t = at(t);
        schedule(
            std::slice::from_ref(r),
            explicit,
            t,
            t + Duration::seconds(1),
        )
        .into_iter()
        .filter(|s| s.holds(t))
        .map(|s| s.user_id)
        .collect()
    }

    #[test]
    fn lengths_and_handoff_times_are_read_and_checked() {
        assert_eq!(parse_length("12h").unwrap(), Duration::hours(12));
        assert_eq!(parse_length("14d").unwrap(), Duration::days(14));
        assert_eq!(parse_length("90m").unwrap(), Duration::minutes(90));
        assert!(parse_length("59m").is_err());
        assert!(parse_length("15d").is_err());
        assert!(parse_length("x").is_err());
        assert_eq!(
            parse_handoff_times("00:00,08:00,16:00").unwrap(),
            vec![0, 28_800, 57_600]
        );
        assert!(
            parse_handoff_times("08:00,00:00")
                .unwrap_err()
                .contains("in order")
        );
        assert!(parse_handoff_times("08:00,08:00").is_err());
        assert!(parse_handoff_times("24:00").is_err());
        assert_eq!(
            Rhythm::parse("00:00, 08:00,16:00").unwrap().text(),
            "00:00,08:00,16:00"
        );
        assert_eq!(Rhythm::parse("168h").unwrap().text(), "7d");
        assert!(check_members(&[]).is_err());
        assert!(check_members(&["a".into(), "a".into()]).is_err());
    }

    #[test]
    fn follow_the_sun_hands_off_at_utc_times_across_a_dst_change() {
        let r = rotation(vec![sun(&["a", "b", "c"], "2026-03-01T00:00:00Z")]);
        assert_eq!(who(&r, &[], "2026-03-01T07:59:59Z"), ["a"]);
        assert_eq!(who(&r, &[], "2026-03-01T08:00:00Z"), ["b"]);
        assert_eq!(who(&r, &[], "2026-03-01T23:00:00Z"), ["c"]);
        // Europe's clocks go forward on 29 March: hand-offs stay at 08:00 UTC.
        assert_eq!(who(&r, &[], "2026-03-29T08:30:00Z"), ["b"]);
        assert_eq!(who(&r, &[], "2026-03-30T00:00:00Z"), ["a"]);
        assert!(who(&r, &[], "2026-02-28T23:59:59Z").is_empty());
        // An anchor between hand-off times: the first shift starts at the next one.
        let mut off = sun(&["a", "b", "c"], "2026-03-01T05:00:00Z");
        off.starts_at = at("2026-03-01T05:00:00Z");
        let r = rotation(vec![off]);
        assert!(who(&r, &[], "2026-03-01T07:00:00Z").is_empty());
        assert_eq!(who(&r, &[], "2026-03-01T08:00:00Z"), ["a"]);
        assert_eq!(who(&r, &[], "2026-03-01T16:00:00Z"), ["b"]);
    }

    #[test]
    fn a_member_change_from_an_instant_keeps_the_past() {
        let r = rotation(vec![
            sun(&["a", "b", "c"], "2026-03-01T00:00:00Z"),
            sun(&["a", "d", "c"], "2026-03-02T10:00:00Z"),
        ]);
        assert_eq!(who(&r, &[], "2026-03-01T09:00:00Z"), ["b"]);
        assert_eq!(who(&r, &[], "2026-03-02T09:59:00Z"), ["b"]);
        assert_eq!(who(&r, &[], "2026-03-02T10:00:00Z"), ["d"]);
        assert_eq!(who(&r, &[], "2026-03-03T09:00:00Z"), ["d"]);
    }

    #[test]
    fn an_override_wins_and_what_is_left_keeps_stable_names() {
        let r = rotation(vec![sun(&["a", "b", "c"], "2026-03-01T00:00:00Z")]);
        let o = Explicit {
            id: "s1".into(),
            user_id: "z".into(),
            role: "EOC".into(),
            starts: at("2026-03-01T10:00:00Z"),
            ends: at("2026-03-01T12:00:00Z"),
            written_at: at("2026-03-01T00:00:00Z"),
        };
        assert_eq!(
            who(&r, std::slice::from_ref(&o), "2026-03-01T11:00:00Z"),
            ["z"]
        );
        assert_eq!(
            who(&r, std::slice::from_ref(&o), "2026-03-01T12:00:00Z"),
            ["b"]
        );
        let all = schedule(
            std::slice::from_ref(&r),
            &[o],
            at("2026-03-01T08:00:00Z"),
            at("2026-03-01T16:00:00Z"),
        );
        let uids: Vec<String> = all.iter().map(Scheduled::uid).collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert_eq!(
            uids[0],
            format!(
                "rotation-r1-{}-0@baton",
                at("2026-03-01T08:00:00Z").timestamp()
            )
        );
        assert_eq!(uids[1], "shift-s1@baton");
        let again = schedule(
            &[r],
            &[],
            at("2026-03-01T09:00:00Z"),
            at("2026-03-01T09:30:00Z"),
        );
        assert_eq!(again[0].uid(), uids[0]);
    }

    #[test]
    fn fixed_lengths_run_back_to_back_from_the_start() {
        let start = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
        let r = rotation(vec![Plan {
            effective_from: start,
            starts_at: start,
            rhythm: Rhythm::Every(Duration::days(7)),
            members: vec!["a".into(), "b".into()],
            written_at: start,
        }]);
        assert_eq!(who(&r, &[], "2026-03-09T08:59:59Z"), ["a"]);
        assert_eq!(who(&r, &[], "2026-03-09T09:00:00Z"), ["b"]);
        assert_eq!(who(&r, &[], "2026-03-16T09:00:00Z"), ["a"]);
        let spans = schedule(&[r], &[], start, start + Duration::days(28));
        assert_eq!(spans.len(), 4);
    }
}
