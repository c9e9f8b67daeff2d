//! The demo team: people in many time zones, each in a follow-the-sun
//! region, and who of them can take handoffs.

use super::{Rng, Summary};
use crate::db::DbConnection;
use crate::db::models::users::{self, User};
use crate::domain::handoff::Role;
use crate::domain::time::Timezone;
use crate::domain::user::Username;

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
pub(super) const ROLES: [&str; 3] = ["EOC", "IMOC", "CMOC"];

/// One member of the team.
pub(super) struct Person {
    pub(super) user: User,
    /// The follow-the-sun region (0, 1 or 2) whose shifts fall in their day.
    pub(super) region: usize,
}

/// The demo's people.
pub(super) struct Team {
    pub(super) people: Vec<Person>,
    /// Indexes into `people` of those who can take handoffs.
    pub(super) writers: Vec<usize>,
}

impl Team {
    /// A writer other than `not`.
    pub(super) fn other_writer(&self, not: usize, rng: &mut Rng) -> usize {
        loop {
            let w = self.writers[rng.below(self.writers.len() as u64) as usize];
            if w != not || self.writers.len() == 1 {
                return w;
            }
        }
    }

    /// Who takes shifts in `role` in `region`, in rotation order.
    pub(super) fn pool(&self, region: usize, role: usize) -> Vec<usize> {
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

/// Adds the team's users, reusing those that exist already.
pub(super) fn add_team(
    conn: &mut DbConnection,
    count: usize,
    summary: &mut Summary,
) -> Result<Team, String> {
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
        zones.insert(user.timezone.name());
        if user.role.can_write() {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_read_as_names() {
        assert_eq!(display_name("alice"), "Alice");
        assert_eq!(display_name("bob2"), "Bob 2");
    }
}
