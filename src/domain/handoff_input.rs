//! What a person gives to open or change a handoff and to write, pass or
//! resolve its notes, and the rules each value keeps: written once, for the
//! forms (`web::handoffs`) and the JSON API (`web::api::handoffs`, whose
//! OpenAPI document publishes these limits, read from here).
//!
//! One value's parser sits beside its type (`handoff::parse_title`,
//! `Severity`, `Kind`, `handoff::parse_note_body`, `user::Username`); here
//! are the limits of the other fields, the lists of issue links, and the
//! rules that look at two values at once. Each rule says what is wrong in
//! words for the person who sent it; a channel may say a refusal its own
//! way (the API answers a well-formed value that conflicts with what exists
//! with a 409), but never decides it again.

use crate::domain::handoff::{Kind, MAX_ISSUES, Verification, parse_short_text};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::domain::rejection::Rejection;
use crate::domain::user::Username;

/// The longest free-text field of the data-loss record, in characters.
pub const MAX_DATA_LOSS_CHARS: usize = 2000;
/// The longest issue link the API takes, in characters (a link is a URL
/// with maybe a query and a fragment; the forms read links out of a text
/// box, whose size bounds them).
pub const MAX_ISSUE_LINK_CHARS: usize = 1000;

/// The entries of a text box of issue links: one per line, or separated by
/// commas or spaces.
pub fn split_issue_list(text: &str) -> Vec<&str> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect()
}

/// A handoff or a note links at most [`MAX_ISSUES`] issues.
pub fn check_issue_count(count: usize) -> Result<(), String> {
    if count > MAX_ISSUES {
        Err(format!("at most {MAX_ISSUES} issues"))
    } else {
        Ok(())
    }
}

/// Parses a text box of issue links (see [`split_issue_list`]); the error
/// names every entry that is not an issue on `gitlab`, then the count.
pub fn parse_issue_list(text: &str, gitlab: &GitLab) -> Result<Vec<IssueRef>, String> {
    let mut issues = vec![];
    let mut bad = vec![];
    for entry in split_issue_list(text) {
        match IssueRef::parse(entry, gitlab) {
            Ok(i) => issues.push(i),
            Err(e) => bad.push(format!("{entry}: {e}")),
        }
    }
    if !bad.is_empty() {
        return Err(bad.join("; "));
    }
    check_issue_count(issues.len())?;
    Ok(issues)
}

/// A free-text field of the data-loss record (`field` names it): trimmed,
/// at most [`MAX_DATA_LOSS_CHARS`], lines allowed; empty means not known
/// yet.
pub fn parse_data_loss_text(field: &str, text: &str) -> Result<Option<String>, Rejection> {
    parse_short_text(field, text, MAX_DATA_LOSS_CHARS)
}

/// A verification state as a form's select gives it: nothing chosen is
/// unverified.
pub fn parse_verification_choice(text: &str) -> Result<Verification, String> {
    match text {
        "" => Ok(Verification::Unverified),
        chosen => Verification::parse(chosen),
    }
}

/// Only a perceived data loss has data-loss fields.
pub fn check_data_loss_kind(kind: Kind) -> Result<(), Rejection> {
    match kind {
        Kind::PerceivedDataLoss => Ok(()),
        Kind::Outage => Err(Rejection::invalid(
            "data_loss",
            "only a perceived_data_loss handoff has data-loss fields",
        )),
    }
}

/// The user a "pass to" field names: nobody when it is blank; `@bob` and
/// ` bob ` are bob.
pub fn parse_pass_to(text: &str) -> Result<Option<Username>, String> {
    if text.trim().is_empty() {
        Ok(None)
    } else {
        Username::parse_mention(text).map(Some)
    }
}

/// Whoever opens a handoff holds it, so its first note passes it to
/// someone else or to no one.
pub fn check_first_pass(opener_id: &str, pass_to_id: Option<&str>) -> Result<(), Rejection> {
    if pass_to_id == Some(opener_id) {
        Err(Rejection::invalid(
            "pass_to",
            "you will hold it yourself; leave this empty or name someone else",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gitlab() -> GitLab {
        GitLab::new("https://gitlab.com", Some("gitlab-com/gl-infra/production")).unwrap()
    }

    #[test]
    fn a_box_of_issue_links_is_split_on_lines_commas_and_spaces() {
        assert_eq!(
            split_issue_list(" a/b#1,\n#2  c/d#3,,\t"),
            ["a/b#1", "#2", "c/d#3"]
        );
        assert!(split_issue_list(" \n, ").is_empty());
    }

    #[test]
    fn every_bad_issue_link_is_named_and_the_count_is_limited() {
        let issues = parse_issue_list("#1, a/b#2", &gitlab()).unwrap();
        assert_eq!(issues.len(), 2);
        let err = parse_issue_list("#1 nope x/y#0", &gitlab()).unwrap_err();
        assert!(
            err.starts_with("nope: ") && err.contains("; x/y#0: "),
            "{err}"
        );
        let many: Vec<String> = (1..=MAX_ISSUES + 1).map(|n| format!("#{n}")).collect();
        assert_eq!(
            parse_issue_list(&many.join(" "), &gitlab()).unwrap_err(),
            format!("at most {MAX_ISSUES} issues")
        );
        assert!(parse_issue_list(&many[..MAX_ISSUES].join(" "), &gitlab()).is_ok());
    }

    #[test]
    fn data_loss_text_is_trimmed_and_limited() {
        assert_eq!(
            parse_data_loss_text("scope", "  uploads\n avatars ").unwrap(),
            Some("uploads\n avatars".into())
        );
        assert_eq!(parse_data_loss_text("scope", "  ").unwrap(), None);
        assert!(parse_data_loss_text("scope", &"x".repeat(MAX_DATA_LOSS_CHARS)).is_ok());
        let err = parse_data_loss_text("scope", &"x".repeat(MAX_DATA_LOSS_CHARS + 1)).unwrap_err();
        assert_eq!(err.field(), Some("scope"));
    }

    #[test]
    fn only_a_perceived_data_loss_has_data_loss_fields() {
        assert!(check_data_loss_kind(Kind::PerceivedDataLoss).is_ok());
        let err = check_data_loss_kind(Kind::Outage).unwrap_err();
        assert_eq!(err.field(), Some("data_loss"));
        assert_eq!(
            parse_verification_choice("").unwrap(),
            Verification::Unverified
        );
        assert_eq!(
            parse_verification_choice("ruled_out").unwrap(),
            Verification::RuledOut
        );
        assert!(parse_verification_choice("maybe").is_err());
    }

    #[test]
    fn a_first_note_passes_to_someone_else_or_to_no_one() {
        assert!(check_first_pass("alice", None).is_ok());
        assert!(check_first_pass("alice", Some("bob")).is_ok());
        let err = check_first_pass("alice", Some("alice")).unwrap_err();
        assert_eq!(err.field(), Some("pass_to"));
        assert_eq!(parse_pass_to("  ").unwrap(), None);
        assert_eq!(parse_pass_to(" @bob ").unwrap().unwrap().as_str(), "bob");
        assert!(parse_pass_to("b ob").is_err());
    }
}
