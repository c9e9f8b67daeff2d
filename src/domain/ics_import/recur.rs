//! Recurrence rules (RFC 5545 §3.3.10), expanded in the event's own
//! wall-clock time (so that "every Monday 09:00 Amsterdam" stays at 09:00
//! across daylight-saving changes) and only then made instants.
//!
//! What shift rotas use is supported: `FREQ` DAILY, WEEKLY, MONTHLY or
//! YEARLY with `INTERVAL`, `COUNT`, `UNTIL`, `BYDAY` (with an ordinal in a
//! month: `1MO`, `-1FR`), `BYMONTHDAY`, `BYMONTH` and `WKST`. A rule that
//! needs more (`BYSETPOS`, hourly …) is reported as not supported, and its
//! event skipped; a rule that is not well formed is malformed.

use chrono::{DateTime, Utc};
use jiff::Span;
use jiff::civil::{self, Date, Weekday};

use super::values::{Bad, Stamp, parse_date_time};
use crate::domain::time::{self, Timezone};

/// How often a rule repeats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Freq {
    Daily,
    Weekly,
    Monthly,
    Yearly,
}

/// The end a rule's `UNTIL` gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Until {
    /// A UTC time: compared as an instant.
    Instant(DateTime<Utc>),
    /// A local time or date: compared on the wall clock.
    Wall(civil::DateTime, bool),
}

/// A parsed `RRULE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    freq: Freq,
    interval: i64,
    count: Option<usize>,
    until: Option<Until>,
    by_day: Vec<(Option<i8>, Weekday)>,
    by_month_day: Vec<i8>,
    by_month: Vec<i8>,
    wkst: Weekday,
}

fn weekday(code: &str) -> Option<Weekday> {
    Some(match code {
        "MO" => Weekday::Monday,
        "TU" => Weekday::Tuesday,
        "WE" => Weekday::Wednesday,
        "TH" => Weekday::Thursday,
        "FR" => Weekday::Friday,
        "SA" => Weekday::Saturday,
        "SU" => Weekday::Sunday,
        _ => return None,
    })
}

fn numbers(text: &str, lo: i64, hi: i64, what: &str) -> Result<Vec<i8>, Bad> {
    text.split(',')
        .map(|n| match n.trim().parse::<i64>() {
            Ok(v) if (lo..=hi).contains(&v.abs()) && v != 0 => Ok(v as i8),
            _ => Err(format!("{what} {n:?} is not a number from {lo} to {hi}")),
        })
        .collect()
}

/// Parses an `RRULE` value. `Ok(Err(why))`: well formed, not supported.
pub fn parse_rule(value: &str) -> Result<Result<Rule, String>, Bad> {
    let mut freq = None;
    let mut rule = Rule {
        freq: Freq::Daily,
        interval: 1,
        count: None,
        until: None,
        by_day: vec![],
        by_month_day: vec![],
        by_month: vec![],
        wkst: Weekday::Monday,
    };
    for part in value.split(';').filter(|p| !p.is_empty()) {
        let (name, v) = part
            .split_once('=')
            .ok_or_else(|| format!("the RRULE part {part:?} has no '='"))?;
        match name.to_ascii_uppercase().as_str() {
            "FREQ" => {
                freq = Some(match v.to_ascii_uppercase().as_str() {
                    "DAILY" => Freq::Daily,
                    "WEEKLY" => Freq::Weekly,
                    "MONTHLY" => Freq::Monthly,
                    "YEARLY" => Freq::Yearly,
                    "SECONDLY" | "MINUTELY" | "HOURLY" => {
                        return Ok(Err(format!(
                            "its RRULE repeats {} (Baton imports daily to yearly rules)",
                            v.to_ascii_lowercase()
                        )));
                    }
                    _ => return Err(format!("FREQ={v} is not a frequency")),
                })
            }
            "INTERVAL" => {
                rule.interval = match v.parse::<i64>() {
                    Ok(n) if (1..=10_000).contains(&n) => n,
                    _ => return Err(format!("INTERVAL={v} is not a positive number")),
                }
            }
            "COUNT" => {
                rule.count = match v.parse::<usize>() {
                    Ok(n) if n >= 1 => Some(n),
                    _ => return Err(format!("COUNT={v} is not a positive number")),
                }
            }
            "UNTIL" => {
                let (wall, utc, date_only) = parse_date_time(v)?;
                rule.until = Some(if utc {
                    Until::Instant(
                        Stamp {
                            wall,
                            zone: Timezone::UTC,
                            date_only,
                        }
                        .instant()?,
                    )
                } else {
                    Until::Wall(wall, date_only)
                });
            }
            "BYDAY" => {
                for day in v.split(',') {
                    let day = day.trim().to_ascii_uppercase();
                    let split = day.len().saturating_sub(2);
                    let (n, code) = day.split_at_checked(split).unwrap_or(("", &day));
                    let wd = weekday(code).ok_or_else(|| format!("BYDAY {day:?} is no weekday"))?;
                    let nth = match n {
                        "" => None,
                        n => match n.trim_start_matches('+').parse::<i8>() {
                            Ok(k) if k != 0 && (-53..=53).contains(&k) => Some(k),
                            _ => return Err(format!("BYDAY {day:?} is no weekday")),
                        },
                    };
                    rule.by_day.push((nth, wd));
                }
            }
            "BYMONTHDAY" => rule.by_month_day = numbers(v, 1, 31, "BYMONTHDAY")?,
            "BYMONTH" => {
                rule.by_month = numbers(v, 1, 12, "BYMONTH")?;
                if rule.by_month.iter().any(|m| *m < 0) {
                    return Err(format!("BYMONTH={v} is not a list of months"));
                }
            }
            "WKST" => {
                rule.wkst = weekday(&v.to_ascii_uppercase())
                    .ok_or_else(|| format!("WKST={v} is not a weekday"))?
            }
            "BYSETPOS" | "BYYEARDAY" | "BYWEEKNO" | "BYHOUR" | "BYMINUTE" | "BYSECOND" => {
                return Ok(Err(format!(
                    "its RRULE uses {name}, which Baton does not expand"
                )));
            }
            other => return Err(format!("{other:?} is not a part of an RRULE")),
        }
    }
    rule.freq = freq.ok_or("an RRULE needs a FREQ")?;
    if rule.count.is_some() && rule.until.is_some() {
        return Err("an RRULE may have COUNT or UNTIL, not both".into());
    }
    let ordinals = rule.by_day.iter().any(|(n, _)| n.is_some());
    match rule.freq {
        Freq::Daily | Freq::Weekly if ordinals => {
            return Err("BYDAY ordinals (1MO) belong to monthly and yearly rules".into());
        }
        Freq::Weekly if !rule.by_month_day.is_empty() => {
            return Err("BYMONTHDAY does not go with FREQ=WEEKLY".into());
        }
        Freq::Yearly if rule.by_month.is_empty() && !rule.by_day.is_empty() => {
            return Ok(Err(
                "its RRULE gives weekdays of a year without BYMONTH, which Baton does not expand"
                    .into(),
            ));
        }
        _ => {}
    }
    Ok(Ok(rule))
}

fn add_days(date: Date, days: i64) -> Date {
    date.saturating_add(Span::new().days(days))
}

/// The days of `year`-`month` that `rule` picks (BYMONTHDAY, BYDAY with
/// ordinals counted in the month), or `default_day` when it picks none.
fn days_in_month(rule: &Rule, year: i64, month: i8, default_day: i8) -> Vec<Date> {
    let Ok(first) = Date::new(year as i16, month, 1) else {
        return vec![];
    };
    let dim = first.days_in_month();
    if rule.by_month_day.is_empty() && rule.by_day.is_empty() {
        return Date::new(year as i16, month, default_day)
            .into_iter()
            .collect();
    }
    (1..=dim)
        .filter_map(|d| Date::new(year as i16, month, d).ok())
        .filter(|date| {
            let d = date.day();
            let by_month_day = rule.by_month_day.is_empty()
                || rule
                    .by_month_day
                    .iter()
                    .any(|md| *md == d || (*md < 0 && dim + 1 + *md == d));
            let by_day = rule.by_day.is_empty()
                || rule.by_day.iter().any(|(n, wd)| {
                    date.weekday() == *wd
                        && match n {
                            None => true,
                            Some(n) if *n > 0 => (d - 1) / 7 + 1 == *n,
                            Some(n) => (dim - d) / 7 + 1 == -*n,
                        }
                });
            by_month_day && by_day
        })
        .collect()
}

/// The candidate dates of period `k` (the `k`-th day, week, month or year
/// of the rule from `start`), sorted.
fn period(rule: &Rule, start: Date, k: i64) -> Vec<Date> {
    let step = k * rule.interval;
    let month_ok = |d: &Date| rule.by_month.is_empty() || rule.by_month.contains(&d.month());
    match rule.freq {
        Freq::Daily => {
            let date = add_days(start, step);
            let weekday_ok =
                rule.by_day.is_empty() || rule.by_day.iter().any(|(_, w)| *w == date.weekday());
            let day_ok = rule.by_month_day.is_empty()
                || rule.by_month_day.iter().any(|md| {
                    *md == date.day() || (*md < 0 && date.days_in_month() + 1 + *md == date.day())
                });
            if month_ok(&date) && weekday_ok && day_ok {
                vec![date]
            } else {
                vec![]
            }
        }
        Freq::Weekly => {
            let week = time::week_start(start, rule.wkst);
            let week = add_days(week, step * 7);
            let mut days: Vec<Date> = if rule.by_day.is_empty() {
                vec![start.weekday()]
            } else {
                rule.by_day.iter().map(|(_, w)| *w).collect()
            }
            .into_iter()
            .map(|w| add_days(week, i64::from(rule.wkst.until(w))))
            .filter(month_ok)
            .collect();
            days.sort();
            days.dedup();
            days
        }
        Freq::Monthly => {
            let months = i64::from(start.year()) * 12 + i64::from(start.month()) - 1 + step;
            let (year, month) = (months.div_euclid(12), (months.rem_euclid(12) + 1) as i8);
            if !rule.by_month.is_empty() && !rule.by_month.contains(&month) {
                return vec![];
            }
            days_in_month(rule, year, month, start.day())
        }
        Freq::Yearly => {
            let year = i64::from(start.year()) + step;
            let months = if rule.by_month.is_empty() {
                vec![start.month()]
            } else {
                let mut m = rule.by_month.clone();
                m.sort();
                m
            };
            months
                .into_iter()
                .flat_map(|m| days_in_month(rule, year, m, start.day()))
                .collect()
        }
    }
}

/// The occurrences of `rule` from `start` (always the first, as RFC 5545
/// counts it) that begin before `horizon`, as wall-clock times in the
/// start's zone; `true` when the rule goes on after `horizon`. Each day,
/// week, month or year looked at spends one of `budget` (shared by a
/// file's rules, so that no file keeps Baton busy): `None` when it ran out.
pub fn expand(
    rule: &Rule,
    start: Stamp,
    horizon: DateTime<Utc>,
    budget: &mut usize,
) -> Option<(Vec<Stamp>, bool)> {
    let mut out = vec![start];
    let time_of_day = start.wall.time();
    let past_until = |s: &Stamp| match rule.until {
        None => false,
        Some(Until::Instant(u)) => s.instant().is_ok_and(|t| t > u),
        Some(Until::Wall(w, date_only)) => {
            if date_only {
                s.wall.date() > w.date()
            } else {
                s.wall > w
            }
        }
    };
    if past_until(&start) {
        return Some((vec![], false));
    }
    for k in 0.. {
        *budget = budget.checked_sub(1)?;
        for date in period(rule, start.wall.date(), k) {
            let next = start.at(date.to_datetime(time_of_day));
            if next.wall <= start.wall {
                continue;
            }
            if rule.count.is_some_and(|c| out.len() >= c) || past_until(&next) {
                return Some((out, false));
            }
            if next.instant().is_ok_and(|t| t >= horizon) {
                return Some((out, true));
            }
            out.push(next);
        }
        if rule.count.is_some_and(|c| out.len() >= c) {
            return Some((out, false));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(zone: &str, y: i16, m: i8, d: i8, h: i8) -> Stamp {
        Stamp {
            wall: civil::date(y, m, d).at(h, 0, 0, 0),
            zone: Timezone::parse(zone).unwrap(),
            date_only: false,
        }
    }

    fn walls(rule: &str, start: Stamp, horizon: &str) -> (Vec<String>, bool) {
        let rule = parse_rule(rule).unwrap().unwrap();
        let (all, more) = expand(
            &rule,
            start,
            time::parse_rfc3339(horizon).unwrap(),
            &mut 100_000,
        )
        .unwrap();
        (all.iter().map(|s| s.wall.to_string()).collect(), more)
    }

    #[test]
    fn a_weekly_rule_keeps_its_wall_clock_time_across_a_dst_change() {
        let start = stamp("Europe/Amsterdam", 2026, 10, 19, 9);
        let rule = parse_rule("FREQ=WEEKLY;COUNT=3").unwrap().unwrap();
        let (all, more) = expand(
            &rule,
            start,
            time::parse_rfc3339("2030-01-01T00:00:00Z").unwrap(),
            &mut 100_000,
        )
        .unwrap();
        assert!(!more);
        let instants: Vec<String> = all
            .iter()
            .map(|s| time::rfc3339(s.instant().unwrap()))
            .collect();
        assert_eq!(
            instants,
            [
                "2026-10-19T07:00:00Z",
                "2026-10-26T08:00:00Z",
                "2026-11-02T08:00:00Z"
            ]
        );
    }

    #[test]
    fn byday_interval_until_and_the_horizon_are_applied() {
        let start = stamp("UTC", 2026, 12, 7, 8); // a Monday
        let (w, more) = walls(
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;UNTIL=20261223T235959Z",
            start,
            "2030-01-01T00:00:00Z",
        );
        assert_eq!(
            w,
            [
                "2026-12-07T08:00:00",
                "2026-12-09T08:00:00",
                "2026-12-21T08:00:00",
                "2026-12-23T08:00:00"
            ]
        );
        assert!(!more);
        let (w, more) = walls("FREQ=DAILY", start, "2026-12-10T00:00:00Z");
        assert_eq!(w.len(), 3);
        assert!(more);
    }

    #[test]
    fn monthly_rules_pick_nth_weekdays_and_skip_missing_days() {
        let start = stamp("UTC", 2027, 1, 31, 8);
        let (w, _) = walls("FREQ=MONTHLY;COUNT=3", start, "2030-01-01T00:00:00Z");
        assert_eq!(
            w,
            [
                "2027-01-31T08:00:00",
                "2027-03-31T08:00:00",
                "2027-05-31T08:00:00"
            ]
        );
        let start = stamp("UTC", 2027, 1, 1, 8);
        let (w, _) = walls(
            "FREQ=MONTHLY;BYDAY=-1FR;COUNT=2",
            start,
            "2030-01-01T00:00:00Z",
        );
        assert_eq!(
            w,
            [
                "2027-01-01T08:00:00",
                "2027-01-29T08:00:00",
                "2027-02-26T08:00:00"
            ][..2]
        );
        let (w, _) = walls(
            "FREQ=YEARLY;BYMONTH=3;BYDAY=1MO;COUNT=2",
            start,
            "2030-01-01T00:00:00Z",
        );
        assert_eq!(w, ["2027-01-01T08:00:00", "2027-03-01T08:00:00"]);
    }

    #[test]
    fn rules_baton_cannot_expand_are_told_apart_from_broken_ones() {
        assert!(
            parse_rule("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=MO,TU")
                .unwrap()
                .is_err()
        );
        assert!(parse_rule("FREQ=HOURLY").unwrap().is_err());
        assert!(parse_rule("FREQ=FORTNIGHTLY").is_err());
        assert!(parse_rule("INTERVAL=2").is_err());
        assert!(parse_rule("FREQ=DAILY;COUNT=2;UNTIL=20270101").is_err());
        assert!(parse_rule("FREQ=WEEKLY;BYDAY=XX").is_err());
        assert!(parse_rule("FREQ=WEEKLY;BYDAY=1MO").is_err());
    }
}
