//! The timeline's geometry: where instants fall on a strip that shows a
//! span of time, where a zone's night hours (22:00–07:00 on its clocks)
//! and its hours fall on it, and how overlapping shifts stack in lanes.
//!
//! Everything is placed by its UTC instant, linearly: an hour is equally
//! wide everywhere on the strip, so a shift across a daylight-saving change
//! is drawn at its true length, and a local day of 23 or 25 hours is
//! narrower or wider than the others. Local hours come from the zone's IANA
//! rules (`domain::time`), never from a fixed offset.

use chrono::{DateTime, Duration, Utc};
use jiff::civil::Date;

use crate::domain::time::{self, Timezone};

/// The first hour of the night on a person's own clocks.
pub const NIGHT_STARTS: i8 = 22;
/// The first hour of the day after it.
pub const NIGHT_ENDS: i8 = 7;

/// The span `[from, to)` a timeline shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// Its left edge.
    pub from: DateTime<Utc>,
    /// Its right edge (not included).
    pub to: DateTime<Utc>,
}

/// A stretch of the strip, in percent of its width.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bar {
    /// Where it starts, 0 to 100.
    pub left: f64,
    /// How wide it is.
    pub width: f64,
}

impl Bar {
    /// Its left edge as an SVG length (`12.5%`).
    pub fn x(&self) -> String {
        percent(self.left)
    }

    /// Its width as an SVG length.
    pub fn w(&self) -> String {
        percent(self.width)
    }
}

/// An hour marked on the strip: a local midnight (labelled with its day)
/// or another whole hour (labelled `06`).
#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    /// Where, as an SVG length.
    pub x: String,
    /// The instant.
    pub at: DateTime<Utc>,
    /// `Thu 03` at a midnight, else the hour on the zone's clocks: `06`.
    pub label: String,
    /// Whether it starts a local day.
    pub day: bool,
    /// Whether it is an hour other than 00 and 12 (a narrow strip leaves
    /// these unlabelled).
    pub minor: bool,
}

/// `value` percent as an SVG length, to a hundredth (`12.5%`, `0%`).
pub fn percent(value: f64) -> String {
    let text = format!("{value:.2}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text}%")
}

impl Window {
    /// `[from, to)`; none when it is empty.
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Option<Window> {
        (to > from).then_some(Window { from, to })
    }

    /// `hours` hours from the start of the hour that holds `now` on the
    /// clocks of `zone` (in a zone half an hour off UTC, its own hour).
    pub fn ahead(now: DateTime<Utc>, zone: Timezone, hours: i64) -> Window {
        let now = time::whole_seconds(now);
        let wall = zone.wall(now);
        let from =
            now - Duration::seconds(i64::from(wall.minute()) * 60 + i64::from(wall.second()));
        Window {
            from,
            to: from + Duration::hours(hours.max(1)),
        }
    }

    /// Whether `at` is in the window.
    pub fn holds(&self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }

    /// Where `at` falls, 0 (the left edge) to 100 (the right), clamped.
    pub fn position(&self, at: DateTime<Utc>) -> f64 {
        let total = (self.to - self.from).num_milliseconds() as f64;
        let part = (at - self.from).num_milliseconds() as f64;
        (part / total * 100.0).clamp(0.0, 100.0)
    }

    /// The line at `at` as an SVG length, when it is in the window.
    pub fn mark(&self, at: DateTime<Utc>) -> Option<String> {
        self.holds(at).then(|| percent(self.position(at)))
    }

    /// The part of `[starts, ends)` in the window; none when they do not meet.
    pub fn bar(&self, starts: DateTime<Utc>, ends: DateTime<Utc>) -> Option<Bar> {
        if ends <= self.from || starts >= self.to || ends <= starts {
            return None;
        }
        let left = self.position(starts.max(self.from));
        let right = self.position(ends.min(self.to));
        Some(Bar {
            left,
            width: right - left,
        })
    }

    /// The nights of `zone` (22:00 to 07:00 on its clocks) in the window.
    pub fn nights(&self, zone: Timezone) -> Vec<Bar> {
        let mut bars = vec![];
        let mut day = time::add_days(zone.date(self.from), -1);
        let last = zone.date(self.to);
        while day <= last {
            let next = time::add_days(day, 1);
            if let (Some(s), Some(e)) = (
                wall_clock(zone, day, NIGHT_STARTS),
                wall_clock(zone, next, NIGHT_ENDS),
            ) && let Some(bar) = self.bar(s, e)
            {
                bars.push(bar);
            }
            day = next;
        }
        bars
    }

    /// The hours of `zone` in the window that are a multiple of `every`
    /// (1 to 24): each local midnight (or the first instant of a day whose
    /// midnight the clocks skip) and, between them, `06`, `12`, `18` for an
    /// `every` of 6. An hour the clocks skip is marked at the time they
    /// jump to, and labelled with it; one they repeat is marked once.
    pub fn hours(&self, zone: Timezone, every: u8) -> Vec<Tick> {
        let every = usize::from(every.clamp(1, 24));
        let mut ticks: Vec<Tick> = vec![];
        let mut day = zone.date(self.from);
        let last = zone.date(self.to);
        while day <= last {
            for hour in (0..24).step_by(every) {
                let at = if hour == 0 {
                    Some(zone.start_of_day(day))
                } else {
                    wall_clock(zone, day, hour as i8)
                };
                let Some(at) = at.filter(|t| self.holds(*t)) else {
                    continue;
                };
                if ticks.last().is_some_and(|t| t.at >= at) {
                    continue;
                }
                ticks.push(Tick {
                    x: percent(self.position(at)),
                    at,
                    label: if hour == 0 {
                        time::day_text(day)
                    } else {
                        format!("{:02}", zone.wall(at).hour())
                    },
                    day: hour == 0,
                    minor: hour % 12 != 0,
                });
            }
            day = time::add_days(day, 1);
        }
        ticks
    }
}

/// The instant the clocks of `zone` show `hour`:00 on `day`: past a gap
/// when the clocks skip it, the first when they repeat it.
fn wall_clock(zone: Timezone, day: Date, hour: i8) -> Option<DateTime<Utc>> {
    zone.rules()
        .to_ambiguous_timestamp(day.at(hour, 0, 0, 0))
        .compatible()
        .ok()
        .map(time::instant)
}

/// Lanes for spans that may overlap: each span goes in the first lane that
/// is free when it starts (spans taken by start). Returns each span's lane,
/// in the order given, and how many lanes there are (at least one).
pub fn lanes(spans: &[(DateTime<Utc>, DateTime<Utc>)]) -> (Vec<usize>, usize) {
    let mut order: Vec<usize> = (0..spans.len()).collect();
    order.sort_by_key(|&i| (spans[i].0, spans[i].1));
    let mut free_from: Vec<DateTime<Utc>> = vec![];
    let mut lane_of = vec![0; spans.len()];
    for i in order {
        let (starts, ends) = spans[i];
        let lane = match free_from.iter().position(|&f| f <= starts) {
            Some(lane) => lane,
            None => {
                free_from.push(ends);
                free_from.len() - 1
            }
        };
        free_from[lane] = ends;
        lane_of[i] = lane;
    }
    (lane_of, free_from.len().max(1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        time::parse_rfc3339(text).unwrap()
    }

    fn zone(name: &str) -> Timezone {
        Timezone::parse(name).unwrap()
    }

    /// The bars as (start, end) in hours from the window's left edge.
    fn hours_of(w: &Window, bars: &[Bar]) -> Vec<(f64, f64)> {
        let total = (w.to - w.from).num_minutes() as f64 / 60.0;
        let round = |v: f64| (v * total / 100.0 * 100.0).round() / 100.0;
        bars.iter()
            .map(|b| (round(b.left), round(b.left + b.width)))
            .collect()
    }

    #[test]
    fn the_next_48_hours_start_at_the_hour_on_the_viewers_clocks() {
        let w = Window::ahead(at("2026-12-02T14:42:10.5Z"), zone("Europe/Amsterdam"), 48);
        assert_eq!(
            (w.from, w.to),
            (at("2026-12-02T14:00:00Z"), at("2026-12-04T14:00:00Z"))
        );
        // India is UTC+05:30: 20:12 there, so its hour began at 14:30 UTC.
        let w = Window::ahead(at("2026-12-02T14:42:00Z"), zone("Asia/Kolkata"), 48);
        assert_eq!(w.from, at("2026-12-02T14:30:00Z"));
        assert!(Window::new(w.to, w.from).is_none());
    }

    #[test]
    fn bars_are_clipped_to_the_window_and_outside_ones_are_dropped() {
        let w = Window::ahead(at("2026-12-02T00:00:00Z"), Timezone::UTC, 48);
        let b = w
            .bar(at("2026-12-01T22:00:00Z"), at("2026-12-02T12:00:00Z"))
            .unwrap();
        assert_eq!((b.x(), b.w()), ("0%".to_owned(), "25%".to_owned()));
        let b = w
            .bar(at("2026-12-03T12:00:00Z"), at("2026-12-09T00:00:00Z"))
            .unwrap();
        assert_eq!((b.x(), b.w()), ("75%".to_owned(), "25%".to_owned()));
        assert!(
            w.bar(at("2026-12-04T00:00:00Z"), at("2026-12-05T00:00:00Z"))
                .is_none()
        );
        assert!(
            w.bar(at("2026-12-01T00:00:00Z"), at("2026-12-02T00:00:00Z"))
                .is_none()
        );
        assert_eq!(
            w.mark(at("2026-12-02T16:00:00Z")).as_deref(),
            Some("33.33%")
        );
        assert_eq!(w.mark(at("2026-12-04T00:00:00Z")), None);
    }

    #[test]
    fn nights_are_22_to_7_on_each_persons_own_clocks() {
        let w = Window::ahead(at("2026-12-02T12:00:00Z"), Timezone::UTC, 48);
        // Amsterdam (UTC+1): 21:00–06:00 UTC, twice.
        assert_eq!(
            hours_of(&w, &w.nights(zone("Europe/Amsterdam"))),
            vec![(9.0, 18.0), (33.0, 42.0)]
        );
        // Tokyo (UTC+9): 13:00–22:00 UTC.
        assert_eq!(
            hours_of(&w, &w.nights(zone("Asia/Tokyo"))),
            vec![(1.0, 10.0), (25.0, 34.0)]
        );
        // Sydney in summer (UTC+11): 11:00–20:00 UTC.
        assert_eq!(
            hours_of(&w, &w.nights(zone("Australia/Sydney"))),
            vec![(0.0, 8.0), (23.0, 32.0), (47.0, 48.0)]
        );
    }

    #[test]
    fn a_night_across_a_dst_change_lasts_what_the_clocks_say() {
        // Europe's clocks go back at 01:00 UTC on 25 October 2026: that
        // night is ten hours long (22:00 CEST to 07:00 CET).
        let w = Window::new(at("2026-10-24T12:00:00Z"), at("2026-10-26T12:00:00Z")).unwrap();
        assert_eq!(
            hours_of(&w, &w.nights(zone("Europe/Amsterdam"))),
            vec![(8.0, 18.0), (33.0, 42.0)]
        );
        // Sydney's go forward at 16:00 UTC on 3 October 2026: eight hours.
        let w = Window::new(at("2026-10-03T00:00:00Z"), at("2026-10-05T00:00:00Z")).unwrap();
        assert_eq!(
            hours_of(&w, &w.nights(zone("Australia/Sydney"))),
            vec![(12.0, 20.0), (35.0, 44.0)]
        );
    }

    #[test]
    fn hours_follow_the_zone_and_a_skipped_hour_is_marked_once() {
        let w = Window::new(at("2026-10-24T22:00:00Z"), at("2026-10-25T22:00:00Z")).unwrap();
        let ticks = w.hours(zone("Europe/Amsterdam"), 6);
        let got: Vec<(String, String)> = ticks
            .iter()
            .map(|t| (time::rfc3339(t.at), t.label.clone()))
            .collect();
        // Sunday 25 October in Amsterdam has 25 hours: 00:00 CEST is 22:00
        // UTC, 06:00 CET is 05:00 UTC, seven hours later.
        assert_eq!(
            got,
            vec![
                ("2026-10-24T22:00:00Z".into(), "Sun 25".into()),
                ("2026-10-25T05:00:00Z".into(), "06".into()),
                ("2026-10-25T11:00:00Z".into(), "12".into()),
                ("2026-10-25T17:00:00Z".into(), "18".into()),
            ]
        );
        assert!(ticks[0].day && !ticks[1].day);
        assert!(ticks[1].minor && !ticks[2].minor);
        assert_eq!(ticks[1].x, "29.17%");
        // Sydney skips 02:00 on 4 October 2026: 01, then 03, each once.
        let w = Window::new(at("2026-10-03T14:00:00Z"), at("2026-10-03T18:00:00Z")).unwrap();
        let labels: Vec<String> = w
            .hours(zone("Australia/Sydney"), 1)
            .into_iter()
            .map(|t| t.label)
            .collect();
        assert_eq!(labels, ["Sun 04", "01", "03", "04"]);
    }

    #[test]
    fn a_shift_across_a_dst_change_is_drawn_at_its_true_length() {
        // The week of 19 October 2026 in Amsterdam has 169 hours; an
        // eight-hour shift over the change takes 8/169 of it.
        let z = zone("Europe/Amsterdam");
        let (from, to) = z.week(
            jiff::civil::date(2026, 10, 21),
            jiff::civil::Weekday::Monday,
        );
        let w = Window::new(from, to).unwrap();
        let b = w
            .bar(at("2026-10-25T00:00:00Z"), at("2026-10-25T08:00:00Z"))
            .unwrap();
        assert!((b.width - 800.0 / 169.0).abs() < 1e-9, "{}", b.width);
        let days: Vec<String> = w.hours(z, 24).into_iter().map(|t| t.label).collect();
        assert_eq!(
            days,
            [
                "Mon 19", "Tue 20", "Wed 21", "Thu 22", "Fri 23", "Sat 24", "Sun 25"
            ]
        );
    }

    #[test]
    fn overlapping_shifts_take_separate_lanes() {
        let s = |a: &str, b: &str| (at(a), at(b));
        let spans = [
            s("2026-12-02T08:00:00Z", "2026-12-02T16:00:00Z"),
            s("2026-12-02T00:00:00Z", "2026-12-02T08:00:00Z"),
            s("2026-12-02T12:00:00Z", "2026-12-02T14:00:00Z"),
            s("2026-12-02T16:00:00Z", "2026-12-03T00:00:00Z"),
        ];
        assert_eq!(lanes(&spans), (vec![0, 0, 1, 0], 2));
        assert_eq!(lanes(&[]), (vec![], 1));
    }
}
