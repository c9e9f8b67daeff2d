//! GitLab labels as the production team uses them: scoped labels
//! (`severity::2`, shown as GitLab shows them, key and value), the severity
//! and the kind of handoff a labelled issue calls for, and the watch list.

use crate::domain::handoff::Kind;

/// A label as shown: a scoped label in two parts, any other in one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelView {
    /// The whole label, e.g. `severity::2`.
    pub name: String,
    /// The scope of a scoped label (`severity`); `None` for a plain label.
    pub scope: Option<String>,
    /// The value of a scoped label (`2`), or the whole label.
    pub value: String,
}

impl LabelView {
    /// `label` split as GitLab splits a scoped label: the scope is what
    /// comes before the last `::` (`a::b::c` is scope `a::b`, value `c`).
    pub fn new(label: &str) -> LabelView {
        match label.rsplit_once("::") {
            Some((scope, value)) if !scope.is_empty() && !value.is_empty() => LabelView {
                name: label.to_owned(),
                scope: Some(scope.to_owned()),
                value: value.to_owned(),
            },
            _ => LabelView {
                name: label.to_owned(),
                scope: None,
                value: label.to_owned(),
            },
        }
    }
}

/// The severity a `severity::N` label gives (1 to 4), if any.
pub fn severity_of(labels: &[String]) -> Option<u8> {
    labels.iter().find_map(|label| {
        let view = LabelView::new(label);
        match (view.scope.as_deref(), view.value.trim().parse::<u8>()) {
            (Some(scope), Ok(n)) if scope.trim().eq_ignore_ascii_case("severity") => {
                (1..=4).contains(&n).then_some(n)
            }
            _ => None,
        }
    })
}

/// The kind of handoff the labels call for: a data-loss label (such as
/// `(perceived) data loss`) over `outage`.
pub fn kind_of(labels: &[String]) -> Option<Kind> {
    let has = |want: &dyn Fn(&str) -> bool| labels.iter().any(|l| want(&l.to_lowercase()));
    if has(&|l| l.contains("data loss")) {
        Some(Kind::PerceivedDataLoss)
    } else if has(&|l| l == "outage") {
        Some(Kind::Outage)
    } else {
        None
    }
}

/// Whether any of `labels` is one of `watched` (any case: GitLab keeps a
/// project's label names unique regardless of case).
pub fn carries_any(labels: &[String], watched: &[String]) -> bool {
    labels
        .iter()
        .any(|l| watched.iter().any(|w| w.eq_ignore_ascii_case(l)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn a_scoped_label_is_split_at_its_last_double_colon() {
        let sev = LabelView::new("severity::2");
        assert_eq!(sev.scope.as_deref(), Some("severity"));
        assert_eq!(sev.value, "2");
        let nested = LabelView::new("workflow::infra::blocked");
        assert_eq!(nested.scope.as_deref(), Some("workflow::infra"));
        assert_eq!(nested.value, "blocked");
        for plain in ["outage", "(perceived) data loss", "::x", "x::", "a:b"] {
            let view = LabelView::new(plain);
            assert_eq!(view.scope, None, "{plain}");
            assert_eq!(view.value, plain);
        }
    }

    #[test]
    fn the_severity_comes_from_a_severity_label_between_1_and_4() {
        assert_eq!(severity_of(&v(&["outage", "severity::1"])), Some(1));
        assert_eq!(severity_of(&v(&["Severity::3"])), Some(3));
        assert_eq!(severity_of(&v(&["severity::5", "severity::x"])), None);
        assert_eq!(severity_of(&v(&["priority::1"])), None);
        assert_eq!(severity_of(&[]), None);
    }

    #[test]
    fn the_kind_comes_from_the_outage_or_data_loss_label() {
        assert_eq!(kind_of(&v(&["Outage", "severity::2"])), Some(Kind::Outage));
        assert_eq!(
            kind_of(&v(&["outage", "(perceived) data loss"])),
            Some(Kind::PerceivedDataLoss)
        );
        assert_eq!(kind_of(&v(&["AP1", "outage-review"])), None);
    }

    #[test]
    fn a_watch_label_matches_in_any_case() {
        let watched = v(&["outage", "(perceived) data loss"]);
        assert!(carries_any(&v(&["severity::1", "Outage"]), &watched));
        assert!(carries_any(&v(&["(Perceived) Data Loss"]), &watched));
        assert!(!carries_any(&v(&["outage-review"]), &watched));
        assert!(!carries_any(&[], &watched));
    }
}
