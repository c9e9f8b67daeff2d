//! The label and milestone filter of the handoff lists' pages (the
//! dashboard and `/handoffs`): `?label=` (repeatable: every label on one
//! linked issue) and `?milestone=`, read from the query string, checked by
//! the domain, and shown as active filters, each with a link that clears
//! it. An empty box on the form means no filter; anything else that is not
//! a label or a milestone title is a 422 beside the filter.
//!
//! Matching is done in the database on what Baton keeps of GitLab's issues,
//! so it needs GitLab read-back (`BATON_GITLAB_API_TOKEN`); without it the
//! page says so beside the filter. A signed-out reader's filter never
//! matches on a confidential issue's labels or milestone (the match would
//! tell them).

use crate::config::GitLabLive;
use crate::db::models::handoffs::IssueMatch;
use crate::domain::issue_filter::IssueFilter;
use crate::web::{FormErrors, encode_query};

/// What the filter says when GitLab read-back is off.
pub const NEEDS_READ_BACK: &str = "filtering by label or milestone needs GitLab read-back (BATON_GITLAB_API_TOKEN), which is not configured here";

pub use crate::domain::issue_filter::labels_in;

/// The label and milestone filter of a page, as given and as understood.
#[derive(Debug, Clone, Default)]
pub struct PageFilter {
    /// The labels given (empty boxes left out).
    pub labels: Vec<String>,
    /// The milestone given (empty for none).
    pub milestone: String,
    /// What to ask the database, when the filter is valid and not empty.
    pub wanted: Option<IssueMatch>,
}

/// One active filter, with the link that clears it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveFilter {
    /// `label` or `milestone`.
    pub field: &'static str,
    /// Its value.
    pub value: String,
    /// The page without it.
    pub clear: String,
}

impl PageFilter {
    /// Reads the filter of a page from its query string and the `milestone`
    /// parameter; problems go into `errors` on `label` or `milestone`.
    pub fn read(
        query_string: &str,
        milestone: &str,
        live: &GitLabLive,
        signed_in: bool,
        errors: &mut FormErrors,
    ) -> PageFilter {
        let labels: Vec<String> = labels_in(query_string)
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
        let milestone = milestone.to_owned();
        let parsed =
            match IssueFilter::parse(&labels, Some(milestone.as_str()).filter(|m| !m.is_empty())) {
                Ok(parsed) => parsed,
                Err(refused) => {
                    errors.add(refused.field().unwrap_or("label"), refused.message());
                    None
                }
            };
        if parsed.is_some() && !live.reads_issues() {
            let field = if labels.is_empty() {
                "milestone"
            } else {
                "label"
            };
            errors.add(field, NEEDS_READ_BACK);
        }
        let wanted = parsed
            .filter(|_| live.reads_issues())
            .map(|filter| IssueMatch {
                filter,
                confidential: signed_in,
            });
        PageFilter {
            labels,
            milestone,
            wanted,
        }
    }

    /// The query string pairs of this filter.
    pub fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs: Vec<(&'static str, String)> =
            self.labels.iter().map(|l| ("label", l.clone())).collect();
        if !self.milestone.is_empty() {
            pairs.push(("milestone", self.milestone.clone()));
        }
        pairs
    }

    /// The active filters, each with the link to `path` with `others` and
    /// the rest of this filter but not it.
    pub fn active(&self, path: &str, others: &[(&'static str, String)]) -> Vec<ActiveFilter> {
        let pairs = self.pairs();
        pairs
            .iter()
            .enumerate()
            .map(|(n, (field, value))| {
                let rest: Vec<(&'static str, String)> = others
                    .iter()
                    .cloned()
                    .chain(
                        pairs
                            .iter()
                            .enumerate()
                            .filter(|(m, _)| *m != n)
                            .map(|(_, p)| p.clone()),
                    )
                    .collect();
                ActiveFilter {
                    field,
                    value: value.clone(),
                    clear: link(path, &rest),
                }
            })
            .collect()
    }
}

/// `path` with `pairs` (empty values left out) as its query string.
pub fn link(path: &str, pairs: &[(&'static str, String)]) -> String {
    let query: Vec<String> = pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode_query(v)))
        .collect();
    if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{}", query.join("&"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_active_filter_links_to_the_page_without_it() {
        let filter = PageFilter {
            labels: vec!["severity::1".into(), "outage".into()],
            milestone: "WoW".into(),
            wanted: None,
        };
        let active = filter.active("/handoffs", &[("status", "all".into())]);
        assert_eq!(active.len(), 3);
        assert_eq!(
            active[0].clear,
            "/handoffs?status=all&label=outage&milestone=WoW"
        );
        assert_eq!(
            active[2].clear,
            "/handoffs?status=all&label=severity%3A%3A1&label=outage"
        );
        assert_eq!(link("/", &[]), "/");
    }
}
