//! Link previews for chat: the OpenGraph and Twitter-card tags that Slack,
//! Mattermost and the like read when a handoff permalink is posted.
//!
//! A chat service fetches the link without a cookie. It gets the handoff's
//! kind, severity, title, holder and newest note only when the page would be
//! shown to it; a confidential handoff, or any handoff when signed-out
//! visitors may not read, unfurls as "Baton handoff" and nothing else.

use crate::domain::markdown;
use crate::web::views::HandoffCard;

/// The title of a preview that must say nothing about the handoff.
pub const GENERIC_TITLE: &str = "Baton handoff";

/// The longest description (characters); chat services cut near 200 anyway.
const DESCRIPTION_CHARS: usize = 200;

/// The tags of one page's link preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unfurl {
    /// `og:title` and `twitter:title`.
    pub title: String,
    /// `og:description` and `twitter:description`, when the content may be shown.
    pub description: Option<String>,
    /// `og:url`: the absolute permalink.
    pub url: String,
}

/// The absolute permalink of handoff `id` under `public_url`.
pub fn permalink(public_url: &str, id: &str) -> String {
    format!("{}/handoffs/{id}", public_url.trim_end_matches('/'))
}

impl Unfurl {
    /// A preview that names no content: only that it is a Baton handoff.
    pub fn generic(public_url: &str, id: &str) -> Unfurl {
        Unfurl {
            title: GENERIC_TITLE.to_owned(),
            description: None,
            url: permalink(public_url, id),
        }
    }

    /// The preview of a handoff: "Outage, severity 1: title", and the holder
    /// with the first line of the newest note. A confidential handoff gets
    /// the generic preview whoever asks.
    pub fn of_handoff(public_url: &str, card: &HandoffCard, newest_note: Option<&str>) -> Unfurl {
        if card.confidential {
            return Unfurl::generic(public_url, &card.id);
        }
        let title = format!(
            "{}, severity {}: {}",
            card.kind_label, card.severity, card.title
        );
        let mut description = if card.status == "resolved" {
            format!("Resolved. Held by {}", card.holder.username)
        } else {
            format!("Held by {}", card.holder.username)
        };
        if let Some(p) = &card.pending {
            description.push_str(&format!(
                ", waiting {} for {} to acknowledge",
                p.waited, p.to.username
            ));
        }
        description.push('.');
        if let Some(line) = newest_note.and_then(first_line) {
            description.push_str(" Newest note: ");
            description.push_str(&line);
        }
        Unfurl {
            title,
            description: Some(markdown::shorten(&description, DESCRIPTION_CHARS).into_owned()),
            url: permalink(public_url, &card.id),
        }
    }
}

/// The first non-blank line of a note, as plain text.
fn first_line(body: &str) -> Option<String> {
    body.lines()
        .map(|l| markdown::excerpt(l, DESCRIPTION_CHARS))
        .find(|l| !l.is_empty())
}

/// The handoff id a sign-in page's `next` points at, when `next` is a
/// handoff permalink (`/handoffs/{uuid}`, maybe with a query).
pub fn handoff_id_in(next: &str) -> Option<String> {
    let path = next.split(['?', '#']).next()?;
    let id = path.strip_prefix("/handoffs/")?;
    uuid::Uuid::parse_str(id).ok().map(|u| u.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_handoff_permalink_is_recognised_as_one() {
        let id = "01930a6e-7b1c-7c3a-8f00-0123456789ab";
        assert_eq!(
            handoff_id_in(&format!("/handoffs/{id}")).as_deref(),
            Some(id)
        );
        assert_eq!(
            handoff_id_in(&format!("/handoffs/{id}?tz=Asia/Tokyo")).as_deref(),
            Some(id)
        );
        assert_eq!(handoff_id_in("/handoffs/new"), None);
        assert_eq!(handoff_id_in("/handoffs"), None);
        assert_eq!(handoff_id_in(&format!("/handoffs/{id}/notes")), None);
        assert_eq!(handoff_id_in("/"), None);
    }

    #[test]
    fn the_permalink_is_absolute_under_the_public_url() {
        assert_eq!(
            permalink("https://baton.example.com/", "x"),
            "https://baton.example.com/handoffs/x"
        );
        let generic = Unfurl::generic("https://baton.example.com", "x");
        assert_eq!(generic.title, "Baton handoff");
        assert_eq!(generic.description, None);
    }

    #[test]
    fn the_first_line_skips_blank_lines_and_markdown() {
        assert_eq!(
            first_line("\n\n**Lag** at 40s\nsecond line").as_deref(),
            Some("Lag at 40s")
        );
        assert_eq!(first_line("  \n"), None);
    }
}
