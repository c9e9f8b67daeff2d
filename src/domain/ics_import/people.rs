//! Who an imported event names: a Baton username (which is the GitLab
//! username) as an `ATTENDEE` (its address's name before the `@`, or its
//! `CN`), else as a word or an `@mention` of the `SUMMARY`, else of the
//! `DESCRIPTION`. The first of those that names anyone decides; naming
//! two people there is ambiguous, naming nobody anywhere is unknown.

use super::Hints;

/// A user the import may name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    /// Their username.
    pub username: String,
    /// Whether they may be on call.
    pub active: bool,
}

/// The names a piece of text may give: its words (letters, digits, `.`,
/// `-`, `_`), an `@mention` without the `@`, an address's name.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !(c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '@')))
        .map(|w| w.trim_start_matches('@'))
        .map(|w| w.split('@').next().unwrap_or(w))
        .map(|w| w.trim_matches(['.', '-', '_']))
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// The person `hints` name among `people`, or why there is none.
pub fn name_person<'a>(hints: &Hints, people: &'a [Person]) -> Result<&'a Person, String> {
    let attendees: Vec<String> = hints
        .attendees
        .iter()
        .flat_map(|(address, cn)| {
            let mut names = vec![address.split('@').next().unwrap_or(address).to_lowercase()];
            if let Some(cn) = cn {
                names.push(cn.trim().trim_start_matches('@').to_lowercase());
            }
            names
        })
        .collect();
    let sources = [
        ("ATTENDEE", attendees),
        ("SUMMARY", words(&hints.summary)),
        ("DESCRIPTION", words(&hints.description)),
    ];
    for (source, names) in sources {
        let mut found: Vec<&Person> = people
            .iter()
            .filter(|p| names.contains(&p.username.to_lowercase()))
            .collect();
        found.dedup_by_key(|p| p.username.clone());
        match found.as_slice() {
            [] => continue,
            [one] if one.active => return Ok(one),
            [one] => return Err(format!("{} is deactivated", one.username)),
            many => {
                let names: Vec<&str> = many.iter().map(|p| p.username.as_str()).collect();
                return Err(format!(
                    "its {source} names more than one person ({})",
                    names.join(", ")
                ));
            }
        }
    }
    Err(format!(
        "unknown person: it names no Baton user (by username, GitLab username or address) in ATTENDEE, SUMMARY or DESCRIPTION{}",
        if hints.summary.is_empty() {
            String::new()
        } else {
            format!(" (SUMMARY {:?})", hints.summary)
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> Vec<Person> {
        ["alice", "bob.b", "carol", "dave"]
            .iter()
            .map(|u| Person {
                username: u.to_string(),
                active: *u != "dave",
            })
            .collect()
    }

    fn hints(attendees: &[(&str, Option<&str>)], summary: &str, description: &str) -> Hints {
        Hints {
            attendees: attendees
                .iter()
                .map(|(a, c)| (a.to_string(), c.map(str::to_owned)))
                .collect(),
            summary: summary.into(),
            description: description.into(),
        }
    }

    #[test]
    fn an_attendee_wins_over_the_words_of_the_summary() {
        let p = people();
        let h = hints(
            &[("Alice@Example.com", Some("Alice Example"))],
            "EOC: carol",
            "",
        );
        assert_eq!(name_person(&h, &p).unwrap().username, "alice");
        let h = hints(&[], "EOC: @Bob.B.", "");
        assert_eq!(name_person(&h, &p).unwrap().username, "bob.b");
        let h = hints(&[], "On call", "covering for carol@example.com");
        assert_eq!(name_person(&h, &p).unwrap().username, "carol");
    }

    #[test]
    fn nobody_two_people_or_a_deactivated_one_are_reasons_to_skip() {
        let p = people();
        let err = name_person(&hints(&[], "EOC: zed", "x"), &p).unwrap_err();
        assert!(err.starts_with("unknown person"), "{err}");
        let err = name_person(&hints(&[], "alice and carol", ""), &p).unwrap_err();
        assert!(err.contains("more than one person (alice, carol)"), "{err}");
        let err = name_person(&hints(&[], "dave", ""), &p).unwrap_err();
        assert!(err.contains("deactivated"), "{err}");
        // "alicex" is not alice.
        assert!(name_person(&hints(&[], "alicex", ""), &p).is_err());
    }
}
