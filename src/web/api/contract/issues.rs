//! GitLab issue links as the API takes them: the patterns of the forms the
//! configured GitLab accepts (published in the document), parsed by the
//! domain, at most `MAX_ISSUES` to a list.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use regex_lite::Regex;
use serde_json::{Value, json};
use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};

use crate::domain::handoff_input::{MAX_ISSUE_LINK_CHARS, check_issue_count};
use crate::domain::issue_ref::{GitLab, IssueRef};
use crate::error::AppError;

/// The patterns of an issue link on one GitLab: what matches `accept` and
/// not `refuse` is an issue link the domain parses.
struct IssuePatterns {
    accept: String,
    refuse: String,
    accept_re: Regex,
    refuse_re: Regex,
}

/// Escapes `text` for a pattern (only the characters that mean something).
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if r"\.^$|?*+()[]{}".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

impl IssuePatterns {
    fn new(gitlab: &GitLab) -> IssuePatterns {
        let segment = r"[A-Za-z0-9_][A-Za-z0-9_.-]*";
        let path = format!("{segment}(?:/{segment})+");
        let number = "[1-9][0-9]{0,18}";
        let base = gitlab.base_url();
        let site = escape(base.split_once("://").map_or(base, |(_, rest)| rest));
        let url = format!(
            r#"https?://{site}/{path}(?:/-/(?:issues/(?:incident/)?{number}|work_items/{number})|/issues/{number})/?(?:\?[!"$-~]*)?(?:#[!-~]*)?"#
        );
        let mut forms = vec![format!("{path}#{number}"), url];
        if gitlab.default_project().is_some() {
            forms.push(format!("#{number}"));
        }
        let accept = format!("^(?:{})$", forms.join("|"));
        // GitLab's reserved `groups/` and paths ending in .git or .atom.
        let groups = "[gG][rR][oO][uU][pP][sS]/";
        let suffix = r"\.(?:[gG][iI][tT]|[aA][tT][oO][mM])";
        let refuse = format!(
            r"^(?:{groups}|https?://{site}/{groups}|[^#]*{suffix}#|https?://{site}/[^?#]*{suffix}/)"
        );
        IssuePatterns {
            accept_re: Regex::new(&accept).unwrap_or_else(|e| panic!("{accept}: {e}")),
            refuse_re: Regex::new(&refuse).unwrap_or_else(|e| panic!("{refuse}: {e}")),
            accept,
            refuse,
        }
    }

    /// The patterns for `gitlab`, made once per configuration.
    fn of(gitlab: &GitLab) -> Arc<IssuePatterns> {
        /// A GitLab's base URL and default project.
        type Configuration = (String, Option<String>);
        static MADE: LazyLock<Mutex<HashMap<Configuration, Arc<IssuePatterns>>>> =
            LazyLock::new(Default::default);
        let key = (
            gitlab.base_url().to_owned(),
            gitlab.default_project().map(str::to_owned),
        );
        let mut made = MADE.lock().unwrap_or_else(|e| e.into_inner());
        made.entry(key)
            .or_insert_with(|| Arc::new(IssuePatterns::new(gitlab)))
            .clone()
    }
}

/// What an issue link is, for the document and error messages.
fn issue_rule(gitlab: &GitLab) -> String {
    let bare = if gitlab.default_project().is_some() {
        format!(
            ", or #123 in {}",
            gitlab.default_project().unwrap_or_default()
        )
    } else {
        String::new()
    };
    format!(
        "a GitLab issue on {base}: {base}/group/project/-/issues/123 (also /-/issues/incident/123, /-/work_items/123, the legacy /issues/123, with a trailing slash, query or #fragment), or group/project#123{bare}; at most {MAX_ISSUE_LINK_CHARS} characters",
        base = gitlab.base_url()
    )
}

/// Parses one issue link as the document describes it; else a 422 on `field`.
pub fn issue(field: &str, text: &str, gitlab: &GitLab) -> Result<IssueRef, AppError> {
    let patterns = IssuePatterns::of(gitlab);
    let fits = text.chars().count() <= MAX_ISSUE_LINK_CHARS
        && patterns.accept_re.is_match(text)
        && !patterns.refuse_re.is_match(text);
    if !fits {
        // The domain's message says best what is wrong, when it sees it.
        let why = match IssueRef::parse(text, gitlab) {
            Err(e) => e.to_string(),
            Ok(_) => format!("write it as {}", issue_rule(gitlab)),
        };
        return Err(AppError::invalid(field, format!("{text:?}: {why}")));
    }
    IssueRef::parse(text, gitlab).map_err(|e| AppError::invalid(field, format!("{text:?}: {e}")))
}

/// Parses a list of issue links; the error names the entry.
pub fn issues(field: &str, entries: &[String], gitlab: &GitLab) -> Result<Vec<IssueRef>, AppError> {
    check_issue_count(entries.len()).map_err(|e| AppError::invalid(field, e))?;
    entries
        .iter()
        .enumerate()
        .map(|(i, e)| issue(&format!("{field}[{i}]"), e, gitlab))
        .collect()
}

/// The schema of an issue link on `gitlab`.
pub fn issue_schema(gitlab: &GitLab) -> Value {
    let patterns = IssuePatterns::of(gitlab);
    json!({
        "type": "string",
        "maxLength": MAX_ISSUE_LINK_CHARS,
        "pattern": patterns.accept,
        "not": {"pattern": patterns.refuse},
        "description": issue_rule(gitlab),
        "examples": [format!("{}/gitlab-com/gl-infra/production/-/issues/1234", gitlab.base_url())],
    })
}

/// An issue link, as a component of the document: the document served
/// carries the pattern of the configured GitLab instead of this stand-in.
pub struct IssueLink;

impl utoipa::PartialSchema for IssueLink {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        ObjectBuilder::new()
            .schema_type(SchemaType::new(Type::String))
            .max_length(Some(MAX_ISSUE_LINK_CHARS))
            .description(Some(
                "a GitLab issue link (the pattern depends on the configured GitLab)",
            ))
            .into()
    }
}

impl utoipa::ToSchema for IssueLink {}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_links_are_taken_in_the_documented_forms_only() {
        let gitlab = GitLab::new("https://gitlab.com", None).unwrap();
        let ok = |s: &str| issue("i", s, &gitlab).map(|i| i.to_string());
        let p = "gitlab-com/gl-infra/production#1234";
        for form in [
            "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234",
            "http://gitlab.com/gitlab-com/gl-infra/production/-/issues/incident/1234",
            "https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234#note_55",
            "https://gitlab.com/gitlab-com/gl-infra/production/issues/1234/?x=1",
            "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234?a=\"b\"#x",
            "gitlab-com/gl-infra/production#1234",
        ] {
            assert_eq!(ok(form).as_deref(), Ok(p), "{form}");
        }
        for bad in [
            "#1234",
            " gitlab-com/gl-infra/production#1234",
            "gitlab-com/gl-infra/production#01234",
            "gitlab-com/gl-infra/production#0",
            "groups/x#1",
            "Groups/x/y#1",
            "a/b.git#1",
            "a.ATOM/b#1",
            "https://gitlab.com/a/b.git/-/issues/1",
            "https://gitlab.com/groups/a/-/issues/1",
            "https://gitlab.com/a/b/-/merge_requests/1",
            "https://GitLab.com/a/b/-/issues/1",
            "https://gitlab.example.com/a/b/-/issues/1",
            "https://gitlab.com/a/b/-/issues/1 ",
            "https://gitlab.com/a/b/-/iss\tues/1",
            "gitlab-com/gl-infra/production#12345678901234567890",
        ] {
            assert!(ok(bad).is_err(), "{bad}");
        }
        let self_managed =
            GitLab::new("https://Git.Example.com:8443/gl/", Some("ops/infra")).unwrap();
        assert_eq!(
            issue("i", "#7", &self_managed).unwrap().to_string(),
            "ops/infra#7"
        );
        assert!(
            issue(
                "i",
                "https://git.example.com:8443/gl/a/b/-/issues/7",
                &self_managed
            )
            .is_ok()
        );
        assert!(
            issue(
                "i",
                "https://git.example.com:8443/a/b/-/issues/7",
                &self_managed
            )
            .is_err()
        );
    }

    #[test]
    fn a_default_project_adds_the_bare_form() {
        let gitlab = GitLab::new("https://git.example.com:8443/gl", Some("a/b")).unwrap();
        assert!(issue("i", "#5", &gitlab).is_ok());
        let err = issues(
            "issues",
            &vec!["#1".to_owned(); crate::domain::handoff::MAX_ISSUES + 1],
            &gitlab,
        )
        .unwrap_err();
        assert_eq!(err.field(), Some("issues"));
    }
}
