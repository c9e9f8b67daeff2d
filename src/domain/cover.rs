//! Swap and cover: "cover me in EOC on Tuesday 14:00–18:00". A cover
//! request is open until another member of the role takes it (which writes
//! the override shift) or its requester cancels it. These are its rules;
//! who counts as a member of a role is the schedule's (`db::models::cover`).

use chrono::{DateTime, Duration, Utc};

use crate::domain::rejection::Rejection;
use crate::domain::shift::MAX_SHIFT;
use crate::domain::text_enum::text_enum;

text_enum!(
    /// Where a cover request stands.
    CoverStatus {
        /// Nobody took it yet.
        Open = "open",
        /// Someone took it: the override shift is written.
        Taken = "taken",
        /// The requester (or an admin) withdrew it.
        Cancelled = "cancelled",
    } "cover request status"
);

/// How long before its start an open request is shown on the dashboard of
/// the role's members.
pub const DASHBOARD_AHEAD: Duration = Duration::hours(24);

/// The span of a new request: it ends after it starts and lasts at most
/// 14 days. It may lie in the past, as an override may: cover arranged by
/// phone during an incident is recorded afterwards, and the schedule (and
/// the review's count of cover taken and given) should say what happened.
pub fn check_span(starts: DateTime<Utc>, ends: DateTime<Utc>) -> Result<(), Rejection> {
    if ends <= starts {
        return Err(Rejection::invalid(
            "ends_at",
            "the cover must end after it starts",
        ));
    }
    if ends - starts > MAX_SHIFT {
        return Err(Rejection::invalid(
            "ends_at",
            "a cover request lasts at most 14 days",
        ));
    }
    Ok(())
}

/// Whether `taker_id` may take a request of `requester_id` that is
/// `status` (that they are a member of the role is checked against the
/// schedule). A request that is over may still be taken: that records who
/// covered.
pub fn check_take(
    status: CoverStatus,
    requester_id: &str,
    taker_id: &str,
) -> Result<(), Rejection> {
    match status {
        CoverStatus::Open => {}
        CoverStatus::Taken => {
            return Err(Rejection::Conflict(
                "somebody took this cover request already".into(),
            ));
        }
        CoverStatus::Cancelled => {
            return Err(Rejection::Conflict(
                "this cover request was cancelled".into(),
            ));
        }
    }
    if requester_id == taker_id {
        return Err(Rejection::Conflict(
            "this is the requester's own cover request: another member of the role takes it".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_request_ends_after_it_starts_and_lasts_at_most_14_days() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 12, 0, 0).unwrap();
        let at = |h: i64| now + Duration::hours(h);
        assert!(check_span(at(2), at(6)).is_ok());
        assert!(check_span(at(-30), at(-26)).is_ok(), "recorded afterwards");
        assert_eq!(
            check_span(at(6), at(2)).unwrap_err().field(),
            Some("ends_at")
        );
        assert_eq!(
            check_span(at(2), at(2 + 14 * 24 + 1)).unwrap_err().field(),
            Some("ends_at")
        );
    }

    #[test]
    fn only_another_person_takes_an_open_request() {
        assert!(check_take(CoverStatus::Open, "a", "b").is_ok());
        assert!(check_take(CoverStatus::Open, "a", "a").is_err());
        assert!(check_take(CoverStatus::Taken, "a", "b").is_err());
        assert!(check_take(CoverStatus::Cancelled, "a", "b").is_err());
    }
}
