//! GitLab issue references: parsing what people paste into a form field
//! (issue URLs, `group/project#123`, bare `#123`) and finding references
//! written inside a note's free text.
//!
//! An [`IssueRef`] can only be built through validation, so any value of
//! that type names a well-formed project path and an issue number >= 1.

use std::collections::HashSet;
use std::fmt;
use std::ops::Range;

use url::Url;

const EMPTY: &str = "empty";
const NOT_A_REFERENCE: &str = "not a GitLab issue link or reference";
const MERGE_REQUEST: &str = "a merge request, not an issue";
const NOT_AN_ISSUE_LINK: &str = "not an issue link";
const NUMBER_MISSING: &str = "the issue number is missing";
const NUMBER_ZERO: &str = "issue numbers start at 1";
const NUMBER_TOO_LARGE: &str = "the issue number is too large";
const NOT_A_PROJECT: &str = "not a project path (expected group/project)";

/// The configured GitLab instance (base URL, e.g. `https://gitlab.com` or
/// `https://git.example.com/gitlab` with a relative root) and optional
/// default project for bare `#123`.
#[derive(Debug, Clone)]
pub struct GitLab {
    /// `scheme://host[:port][/prefix]`, without a trailing slash.
    base_url: String,
    /// Host name with `:port` when the port is not the scheme's default.
    host: String,
    /// Host name alone, as the `url` crate normalised it (lowercase).
    host_name: String,
    /// Explicit non-default port, if any.
    port: Option<u16>,
    /// Path segments of a relative root (`["gitlab"]`), empty for none.
    prefix: Vec<String>,
    default_project: Option<String>,
}

impl GitLab {
    /// Describes a GitLab instance.
    ///
    /// `base_url` must be an absolute `http://` or `https://` URL without
    /// credentials, query or fragment; a trailing slash is ignored.
    /// `default_project` is a project path like `group/sub/project`,
    /// validated like any project path; a blank value counts as none.
    /// The error is a human-readable message naming the bad setting.
    pub fn new(base_url: &str, default_project: Option<&str>) -> Result<GitLab, String> {
        let trimmed = base_url.trim();
        if trimmed.is_empty() {
            return Err("the GitLab base URL is empty".to_string());
        }
        let url = Url::parse(trimmed)
            .map_err(|e| format!("the GitLab base URL {trimmed:?} is not a valid URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "the GitLab base URL {trimmed:?} must start with http:// or https://"
            ));
        }
        let Some(host_name) = url.host_str() else {
            return Err(format!("the GitLab base URL {trimmed:?} has no host"));
        };
        if !url.username().is_empty() || url.password().is_some() {
            return Err(format!(
                "the GitLab base URL {trimmed:?} must not contain a user name or password"
            ));
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!(
                "the GitLab base URL {trimmed:?} must not have a query string or fragment"
            ));
        }
        let prefix: Vec<String> = url
            .path()
            .split('/')
            .filter(|segment| !segment.is_empty())
            .map(str::to_string)
            .collect();
        let host = match url.port() {
            Some(port) => format!("{host_name}:{port}"),
            None => host_name.to_string(),
        };
        let mut normalized = format!("{}://{}", url.scheme(), host);
        for segment in &prefix {
            normalized.push('/');
            normalized.push_str(segment);
        }
        let default_project = match default_project.map(str::trim) {
            None | Some("") => None,
            Some(project) => {
                validate_project_path(project)
                    .map_err(|e| format!("the default GitLab project {project:?} is {e}"))?;
                Some(project.to_string())
            }
        };
        Ok(GitLab {
            base_url: normalized,
            host,
            host_name: host_name.to_string(),
            port: url.port(),
            prefix,
            default_project,
        })
    }

    /// The base URL without a trailing slash, e.g. `https://gitlab.com`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The host, e.g. `gitlab.com`, with `:port` when the port is not the
    /// scheme's default.
    pub fn host(&self) -> &str {
        &self.host
    }

    /// The project a bare `#123` refers to, if one is configured.
    pub fn default_project(&self) -> Option<&str> {
        self.default_project.as_deref()
    }

    /// Host plus relative root, as shown in "not an issue on …" messages.
    fn display_name(&self) -> String {
        let mut name = self.host.clone();
        for segment in &self.prefix {
            name.push('/');
            name.push_str(segment);
        }
        name
    }
}

/// A GitLab issue: project path + iid. Can only exist if it parsed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IssueRef {
    project: String,
    iid: u64,
}

impl IssueRef {
    /// Parses an issue URL on the configured instance, a
    /// `group/project#123` reference, or a bare `#123` (only when a default
    /// project is configured). Surrounding whitespace is ignored.
    pub fn parse(input: &str, gitlab: &GitLab) -> Result<IssueRef, IssueRefError> {
        let input = input.trim();
        if input.is_empty() {
            return Err(IssueRefError::new(EMPTY));
        }
        // Before the URL parser, which drops tabs, newlines and trailing
        // control characters without a word.
        crate::domain::text::check_line("the issue link", input).map_err(IssueRefError::new)?;
        if has_http_scheme(input) {
            return parse_url(input, gitlab);
        }
        if let Some(number) = input.strip_prefix('#') {
            let iid = parse_iid(number)?;
            let Some(project) = gitlab.default_project() else {
                return Err(IssueRefError::new(format!(
                    "a bare #{iid} needs a default project (BATON_GITLAB_DEFAULT_PROJECT)"
                )));
            };
            return Ok(IssueRef {
                project: project.to_string(),
                iid,
            });
        }
        if let Some((project, number)) = input.rsplit_once('#') {
            let iid = parse_iid(number)?;
            validate_project_path(project)?;
            return Ok(IssueRef {
                project: project.to_string(),
                iid,
            });
        }
        Err(IssueRefError::new(NOT_A_REFERENCE))
    }

    /// From stored parts (e.g. a database row); validates the path and
    /// iid >= 1.
    pub fn new(project: &str, iid: u64) -> Result<IssueRef, IssueRefError> {
        validate_project_path(project)?;
        if iid == 0 {
            return Err(IssueRefError::new(NUMBER_ZERO));
        }
        Ok(IssueRef {
            project: project.to_string(),
            iid,
        })
    }

    /// The project path, e.g. `gitlab-com/gl-infra/production`, with its
    /// case as written.
    pub fn project(&self) -> &str {
        &self.project
    }

    /// The issue number within the project (GitLab's iid), always >= 1.
    pub fn iid(&self) -> u64 {
        self.iid
    }

    /// The issue's web page: `{base_url}/{project}/-/issues/{iid}`.
    pub fn url(&self, gitlab: &GitLab) -> String {
        format!(
            "{}/{}/-/issues/{}",
            gitlab.base_url(),
            self.project,
            self.iid
        )
    }
}

impl fmt::Display for IssueRef {
    /// Formats as `group/project#123`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.project, self.iid)
    }
}

/// Why an input is not an issue reference; Display is a short human message
/// suitable to show beside a form field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssueRefError {
    message: String,
}

impl IssueRefError {
    fn new(message: impl Into<String>) -> IssueRefError {
        IssueRefError {
            message: message.into(),
        }
    }
}

impl fmt::Display for IssueRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for IssueRefError {}

/// Every issue reference written inside free text (a note body),
/// deduplicated, in order of first appearance. Tokens that are not
/// references are simply skipped (no errors).
pub fn find_refs(text: &str, gitlab: &GitLab) -> Vec<IssueRef> {
    let mut seen = HashSet::new();
    let mut refs = Vec::new();
    for (_, issue) in find_ref_spans(text, gitlab) {
        if seen.insert(issue.clone()) {
            refs.push(issue);
        }
    }
    refs
}

/// Characters stripped from the start of a token before parsing it.
const LEADING_PUNCTUATION: &[char] = &['(', '[', '<', '"', '\'', '*', '~'];
/// Characters stripped from the end of a token before parsing it.
const TRAILING_PUNCTUATION: &[char] = &[
    '.', ',', ';', ':', '!', '?', ')', ']', '>', '"', '\'', '*', '~',
];

/// Every issue reference in `text` with the byte range of the characters
/// that make it up (punctuation around it excluded), in text order and not
/// deduplicated. Shared by [`find_refs`] and the Markdown renderer, which
/// needs the ranges to replace references with links.
pub(crate) fn find_ref_spans(text: &str, gitlab: &GitLab) -> Vec<(Range<usize>, IssueRef)> {
    let mut spans = Vec::new();
    for (start, token) in tokens(text) {
        // In a Markdown link `[text](URL)` only the URL is a candidate.
        let (offset, candidate) = match token.find("](") {
            Some(at) => (at + 2, &token[at + 2..]),
            None => (0, token),
        };
        let without_lead = candidate.trim_start_matches(LEADING_PUNCTUATION);
        let core = without_lead.trim_end_matches(TRAILING_PUNCTUATION);
        if core.is_empty() {
            continue;
        }
        if let Ok(issue) = IssueRef::parse(core, gitlab) {
            let begin = start + offset + (candidate.len() - without_lead.len());
            spans.push((begin..begin + core.len(), issue));
        }
    }
    spans
}

/// Splits `text` on whitespace, yielding each token with its byte offset.
fn tokens(text: &str) -> Vec<(usize, &str)> {
    let mut tokens = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(begin) = start.take() {
                tokens.push((begin, &text[begin..at]));
            }
        } else if start.is_none() {
            start = Some(at);
        }
    }
    if let Some(begin) = start {
        tokens.push((begin, &text[begin..]));
    }
    tokens
}

fn has_http_scheme(input: &str) -> bool {
    let starts_with = |scheme: &str| {
        input
            .get(..scheme.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(scheme))
    };
    starts_with("http://") || starts_with("https://")
}

fn parse_url(input: &str, gitlab: &GitLab) -> Result<IssueRef, IssueRefError> {
    let url = Url::parse(input).map_err(|_| IssueRefError::new(NOT_A_REFERENCE))?;
    let other_instance =
        || IssueRefError::new(format!("not an issue on {}", gitlab.display_name()));
    let same_host = url
        .host_str()
        .is_some_and(|host| host.eq_ignore_ascii_case(&gitlab.host_name));
    if !same_host || url.port() != gitlab.port {
        return Err(other_instance());
    }
    let Some(segments) = url.path_segments() else {
        return Err(IssueRefError::new(NOT_A_REFERENCE));
    };
    let mut segments: Vec<&str> = segments.collect();
    if segments.last() == Some(&"") {
        segments.pop();
    }
    let prefix_len = gitlab.prefix.len();
    if segments.len() < prefix_len
        || segments
            .iter()
            .zip(&gitlab.prefix)
            .any(|(segment, prefix)| segment != prefix)
    {
        return Err(other_instance());
    }
    let rest = &segments[prefix_len..];
    let (project, page) = split_project_and_page(rest)?;
    let iid = match page {
        ["issues" | "work_items"] | ["issues", "incident"] => {
            return Err(IssueRefError::new(NUMBER_MISSING));
        }
        ["issues", number] | ["issues", "incident", number] | ["work_items", number] => {
            parse_iid(number)?
        }
        ["merge_requests", ..] => return Err(IssueRefError::new(MERGE_REQUEST)),
        _ => return Err(IssueRefError::new(NOT_AN_ISSUE_LINK)),
    };
    if project.is_empty() {
        return Err(IssueRefError::new(NOT_A_PROJECT));
    }
    let project = project.join("/");
    validate_project_path(&project)?;
    Ok(IssueRef { project, iid })
}

/// Splits the path after the relative root into the project's segments and
/// the page's segments: at the `-` separator, or for legacy URLs without
/// it, before a trailing `issues[/N]` or `merge_requests[/N]`.
fn split_project_and_page<'p, 's>(
    rest: &'p [&'s str],
) -> Result<(&'p [&'s str], &'p [&'s str]), IssueRefError> {
    if let Some(dash) = rest.iter().position(|segment| *segment == "-") {
        return Ok((&rest[..dash], &rest[dash + 1..]));
    }
    let legacy_page = |segment: &str| matches!(segment, "issues" | "merge_requests");
    match rest {
        [.., last] if legacy_page(last) => Ok(rest.split_at(rest.len() - 1)),
        [.., page, _] if legacy_page(page) => Ok(rest.split_at(rest.len() - 2)),
        _ => Err(IssueRefError::new(NOT_AN_ISSUE_LINK)),
    }
}

/// Parses an issue number: ASCII digits only, 1 ..= u64::MAX.
fn parse_iid(number: &str) -> Result<u64, IssueRefError> {
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(IssueRefError::new(NUMBER_MISSING));
    }
    let iid: u64 = number
        .parse()
        .map_err(|_| IssueRefError::new(NUMBER_TOO_LARGE))?;
    if iid == 0 {
        return Err(IssueRefError::new(NUMBER_ZERO));
    }
    Ok(iid)
}

/// A project path: at least two `/`-separated segments (group(s) then
/// project), not under GitLab's reserved `groups/`, each segment valid.
fn validate_project_path(path: &str) -> Result<(), IssueRefError> {
    let segments: Vec<&str> = path.split('/').collect();
    let valid = segments.len() >= 2
        && !segments[0].eq_ignore_ascii_case("groups")
        && segments.iter().all(|segment| valid_segment(segment));
    if valid {
        Ok(())
    } else {
        Err(IssueRefError::new(NOT_A_PROJECT))
    }
}

/// GitLab's rule for a group or project path segment: letters, digits,
/// `_`, `-`, `.`; not starting with `-` or `.`; not ending in `.git` or
/// `.atom`.
fn valid_segment(segment: &str) -> bool {
    let Some(first) = segment.chars().next() else {
        return false;
    };
    let lower = segment.to_ascii_lowercase();
    first != '-'
        && first != '.'
        && segment
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
        && !lower.ends_with(".git")
        && !lower.ends_with(".atom")
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROJECT: &str = "gitlab-com/gl-infra/production";

    fn gitlab_com() -> GitLab {
        GitLab::new("https://gitlab.com", None).expect("valid base URL")
    }

    fn with_default() -> GitLab {
        GitLab::new("https://gitlab.com/", Some(PROJECT)).expect("valid config")
    }

    fn self_managed() -> GitLab {
        GitLab::new("https://Git.Example.com:8443/gitlab/", None).expect("valid base URL")
    }

    fn expected() -> IssueRef {
        IssueRef::new(PROJECT, 1234).expect("valid parts")
    }

    fn parses(input: &str) -> IssueRef {
        IssueRef::parse(input, &gitlab_com())
            .unwrap_or_else(|e| panic!("{input:?} should parse, got {e}"))
    }

    fn refusal(input: &str, gitlab: &GitLab) -> String {
        match IssueRef::parse(input, gitlab) {
            Ok(issue) => panic!("{input:?} should be refused, got {issue}"),
            Err(e) => e.to_string(),
        }
    }

    fn assert_refused(input: &str, gitlab: &GitLab, why: &str) {
        let message = refusal(input, gitlab);
        assert!(
            message.contains(why),
            "{input:?}: message {message:?} should contain {why:?}"
        );
    }

    // ---- GitLab configuration ----

    #[test]
    fn a_base_url_loses_its_trailing_slash() {
        let gitlab = with_default();
        assert_eq!(gitlab.base_url(), "https://gitlab.com");
        assert_eq!(gitlab.host(), "gitlab.com");
        assert_eq!(gitlab.default_project(), Some(PROJECT));
    }

    #[test]
    fn a_self_managed_base_keeps_its_prefix_and_port() {
        let gitlab = self_managed();
        assert_eq!(gitlab.base_url(), "https://git.example.com:8443/gitlab");
        assert_eq!(gitlab.host(), "git.example.com:8443");
        assert_eq!(gitlab.default_project(), None);
    }

    #[test]
    fn a_default_port_is_not_shown_in_the_host() {
        let gitlab = GitLab::new("https://gitlab.com:443", None).expect("valid");
        assert_eq!(gitlab.host(), "gitlab.com");
        assert_eq!(gitlab.base_url(), "https://gitlab.com");
    }

    #[test]
    fn a_blank_default_project_counts_as_none() {
        let gitlab = GitLab::new("https://gitlab.com", Some("  ")).expect("valid");
        assert_eq!(gitlab.default_project(), None);
    }

    #[test]
    fn bad_base_urls_are_refused() {
        for bad in [
            "",
            "gitlab.com",
            "ftp://gitlab.com",
            "https://user:pw@gitlab.com",
            "https://gitlab.com/?x=1",
            "https://gitlab.com/#top",
            "not a url",
        ] {
            assert!(GitLab::new(bad, None).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn a_bad_default_project_is_refused() {
        for bad in ["production", "groups/x", "a/-b", "a/b.git", "a//b"] {
            let message = GitLab::new("https://gitlab.com", Some(bad))
                .expect_err("bad default project should be refused");
            assert!(message.contains("not a project path"), "{message}");
        }
    }

    // ---- accepted forms ----

    #[test]
    fn an_issue_url_is_an_issue() {
        assert_eq!(
            parses("https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234"),
            expected()
        );
    }

    #[test]
    fn an_incident_url_is_an_issue() {
        assert_eq!(
            parses("https://gitlab.com/gitlab-com/gl-infra/production/-/issues/incident/1234"),
            expected()
        );
    }

    #[test]
    fn a_work_item_url_is_an_issue() {
        assert_eq!(
            parses("https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234"),
            expected()
        );
    }

    #[test]
    fn a_legacy_url_without_the_dash_is_an_issue() {
        assert_eq!(
            parses("https://gitlab.com/gitlab-com/gl-infra/production/issues/1234"),
            expected()
        );
    }

    #[test]
    fn a_note_fragment_query_or_trailing_slash_is_ignored() {
        for suffix in ["#note_55", "?foo=bar", "/", "/?foo=bar#note_55"] {
            for base in [
                "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234",
                "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/incident/1234",
                "https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234",
                "https://gitlab.com/gitlab-com/gl-infra/production/issues/1234",
            ] {
                assert_eq!(parses(&format!("{base}{suffix}")), expected());
            }
        }
    }

    #[test]
    fn surrounding_whitespace_is_ignored() {
        assert_eq!(
            parses("  https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234 \n"),
            expected()
        );
        assert_eq!(
            parses("\tgitlab-com/gl-infra/production#1234  "),
            expected()
        );
    }

    #[test]
    fn http_and_any_host_case_are_the_same_instance() {
        assert_eq!(
            parses("http://GitLab.COM/gitlab-com/gl-infra/production/-/issues/1234"),
            expected()
        );
        assert_eq!(
            parses("HTTPS://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234"),
            expected()
        );
    }

    #[test]
    fn a_project_reference_is_an_issue() {
        assert_eq!(parses("gitlab-com/gl-infra/production#1234"), expected());
        let two_segments = parses("gitlab-org/gitlab#99");
        assert_eq!(two_segments.project(), "gitlab-org/gitlab");
        assert_eq!(two_segments.iid(), 99);
    }

    #[test]
    fn a_bare_number_uses_the_default_project() {
        assert_eq!(
            IssueRef::parse("#1234", &with_default()).expect("parses"),
            expected()
        );
    }

    #[test]
    fn project_path_case_is_preserved() {
        let issue = parses("https://gitlab.com/GitLab-com/GL-Infra/Production/-/issues/7");
        assert_eq!(issue.project(), "GitLab-com/GL-Infra/Production");
        assert_eq!(
            parses("My_Group/my.project#7").project(),
            "My_Group/my.project"
        );
    }

    #[test]
    fn a_self_managed_url_starts_the_project_after_the_prefix() {
        let gitlab = self_managed();
        let issue = IssueRef::parse(
            "https://git.example.com:8443/gitlab/ops/infra/-/issues/42#note_1",
            &gitlab,
        )
        .expect("parses");
        assert_eq!(issue.project(), "ops/infra");
        assert_eq!(issue.iid(), 42);
        assert_eq!(
            issue.url(&gitlab),
            "https://git.example.com:8443/gitlab/ops/infra/-/issues/42"
        );
    }

    #[test]
    fn a_self_managed_url_on_another_port_or_root_is_refused() {
        let gitlab = self_managed();
        for other in [
            "https://git.example.com/gitlab/ops/infra/-/issues/42",
            "https://git.example.com:9443/gitlab/ops/infra/-/issues/42",
            "https://git.example.com:8443/ops/infra/-/issues/42",
            "https://git.example.com:8443/other/ops/infra/-/issues/42",
        ] {
            assert_refused(
                other,
                &gitlab,
                "not an issue on git.example.com:8443/gitlab",
            );
        }
    }

    // ---- refusals ----

    #[test]
    fn an_issue_on_another_host_is_refused() {
        let gitlab = gitlab_com();
        assert_refused(
            "https://github.com/a/b/issues/1",
            &gitlab,
            "not an issue on gitlab.com",
        );
        assert_refused(
            "https://gitlab.example.com/gitlab-com/gl-infra/production/-/issues/1234",
            &gitlab,
            "not an issue on gitlab.com",
        );
        assert_refused(
            "https://gitlab.com:8443/gitlab-com/gl-infra/production/-/issues/1234",
            &gitlab,
            "not an issue on gitlab.com",
        );
    }

    #[test]
    fn a_merge_request_url_is_not_an_issue() {
        let gitlab = gitlab_com();
        assert_refused(
            "https://gitlab.com/gitlab-org/gitlab/-/merge_requests/5",
            &gitlab,
            "a merge request, not an issue",
        );
        assert_refused(
            "https://gitlab.com/gitlab-org/gitlab/merge_requests/5",
            &gitlab,
            "a merge request, not an issue",
        );
    }

    #[test]
    fn epics_milestones_snippets_and_other_pages_are_not_issue_links() {
        let gitlab = gitlab_com();
        for page in [
            "https://gitlab.com/groups/gitlab-org/-/epics/5",
            "https://gitlab.com/gitlab-org/gitlab/-/milestones/3",
            "https://gitlab.com/gitlab-org/gitlab/-/snippets/9",
            "https://gitlab.com/-/snippets/9",
            "https://gitlab.com/gitlab-org/gitlab",
            "https://gitlab.com/gitlab-org/gitlab/-/tree/master",
            "https://gitlab.com/gitlab-org/gitlab/-/issues/5/designs",
            "https://gitlab.com/",
        ] {
            assert_refused(page, &gitlab, "not an issue link");
        }
    }

    #[test]
    fn a_missing_issue_number_is_refused() {
        let gitlab = gitlab_com();
        for missing in [
            "https://gitlab.com/gitlab-org/gitlab/-/issues/",
            "https://gitlab.com/gitlab-org/gitlab/-/issues",
            "https://gitlab.com/gitlab-org/gitlab/-/issues/abc",
            "https://gitlab.com/gitlab-org/gitlab/-/issues/incident/",
            "https://gitlab.com/gitlab-org/gitlab/-/work_items/",
            "https://gitlab.com/gitlab-org/gitlab/issues/",
            "https://gitlab.com/gitlab-org/gitlab/-/issues/+5",
            "group/project#",
            "group/project#abc",
            "group/project#-3",
            "#",
        ] {
            assert_refused(missing, &gitlab, "the issue number is missing");
        }
    }

    #[test]
    fn issue_number_zero_is_refused() {
        let gitlab = gitlab_com();
        assert_refused("group/project#0", &gitlab, "start at 1");
        assert_refused(
            "https://gitlab.com/group/project/-/issues/0",
            &gitlab,
            "start at 1",
        );
        assert!(IssueRef::new("group/project", 0).is_err());
    }

    #[test]
    fn an_issue_number_too_large_for_u64_is_refused() {
        let gitlab = gitlab_com();
        assert_refused("group/project#18446744073709551616", &gitlab, "too large");
        assert_eq!(parses("group/project#18446744073709551615").iid(), u64::MAX);
    }

    #[test]
    fn a_single_segment_is_not_a_project_path() {
        let gitlab = gitlab_com();
        assert_refused(
            "https://gitlab.com/gitlab-com/-/issues/1",
            &gitlab,
            "not a project path",
        );
        assert_refused("production#12", &gitlab, "not a project path");
    }

    #[test]
    fn a_group_level_page_is_not_a_project_path() {
        let gitlab = gitlab_com();
        for group_page in [
            "https://gitlab.com/groups/gitlab-com/-/issues/5",
            "https://gitlab.com/groups/gitlab-com/sub/-/issues/5",
            "https://gitlab.com/-/issues/5",
            "groups/gitlab-com#5",
        ] {
            assert_refused(group_page, &gitlab, "not a project path");
        }
    }

    #[test]
    fn segments_with_invalid_characters_are_not_a_project_path() {
        let gitlab = gitlab_com();
        for bad in [
            "-group/project#1",
            ".group/project#1",
            "group/.project#1",
            "group/project.git#1",
            "group/project.ATOM#1",
            "group//project#1",
            "/group/project#1",
            "group/project/#1",
            "group/pro ject#1",
            "group/pröject#1",
            "group/pro%20ject#1",
            "a#b/c#1",
            "https://gitlab.com/group/pro%20ject/-/issues/1",
            "https://gitlab.com/group/project.git/-/issues/1",
            "https://gitlab.com/group//project/-/issues/1",
        ] {
            assert_refused(bad, &gitlab, "not a project path");
        }
    }

    #[test]
    fn a_bare_number_without_a_default_project_is_refused() {
        assert_refused(
            "#1234",
            &gitlab_com(),
            "a bare #1234 needs a default project (BATON_GITLAB_DEFAULT_PROJECT)",
        );
    }

    #[test]
    fn empty_input_is_refused() {
        assert_eq!(refusal("", &gitlab_com()), "empty");
        assert_eq!(refusal("   \n", &gitlab_com()), "empty");
    }

    #[test]
    fn text_that_is_neither_link_nor_reference_is_refused() {
        let gitlab = gitlab_com();
        for junk in [
            "hello",
            "gitlab-org/gitlab",
            "ftp://gitlab.com/a/b/-/issues/1",
            "javascript:alert(1)",
            "https://",
            "gitlab-org/gitlab!5",
        ] {
            assert_refused(junk, &gitlab, "not a GitLab issue link or reference");
        }
    }

    #[test]
    fn refusal_messages_are_distinct_and_short() {
        let gitlab = gitlab_com();
        let error = IssueRef::parse("https://gitlab.com/a/b/-/merge_requests/1", &gitlab)
            .expect_err("refused");
        assert_eq!(error.to_string(), "a merge request, not an issue");
        let as_std_error: &dyn std::error::Error = &error;
        assert_eq!(as_std_error.to_string(), error.to_string());
    }

    // ---- constructors, output ----

    #[test]
    fn stored_parts_are_validated() {
        let issue = IssueRef::new(PROJECT, 1234).expect("valid");
        assert_eq!(issue.project(), PROJECT);
        assert_eq!(issue.iid(), 1234);
        assert!(IssueRef::new("production", 1).is_err());
        assert!(IssueRef::new("groups/x", 1).is_err());
        assert!(IssueRef::new("", 1).is_err());
    }

    #[test]
    fn url_points_at_the_issue_page() {
        assert_eq!(
            expected().url(&gitlab_com()),
            "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234"
        );
        let http = GitLab::new("http://gitlab.local", None).expect("valid");
        assert_eq!(
            expected().url(&http),
            "http://gitlab.local/gitlab-com/gl-infra/production/-/issues/1234"
        );
    }

    #[test]
    fn display_is_the_short_reference() {
        assert_eq!(
            expected().to_string(),
            "gitlab-com/gl-infra/production#1234"
        );
    }

    #[test]
    fn display_round_trips_through_parse() {
        let issue = expected();
        assert_eq!(parses(&issue.to_string()), issue);
        assert_eq!(parses(&issue.url(&gitlab_com())), issue);
    }

    #[test]
    fn refs_sort_by_project_then_number() {
        let mut refs = [
            IssueRef::new("b/b", 1).expect("valid"),
            IssueRef::new("a/a", 10).expect("valid"),
            IssueRef::new("a/a", 2).expect("valid"),
        ];
        refs.sort();
        let shown: Vec<String> = refs.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["a/a#2", "a/a#10", "b/b#1"]);
    }

    // ---- find_refs ----

    #[test]
    fn find_refs_finds_a_url_and_a_reference_in_a_realistic_note() {
        let note = "See https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234#note_5, \
                    and gitlab-org/gitlab#99.";
        let refs = find_refs(note, &gitlab_com());
        assert_eq!(
            refs,
            vec![
                expected(),
                IssueRef::new("gitlab-org/gitlab", 99).expect("valid")
            ]
        );
    }

    #[test]
    fn find_refs_deduplicates_in_order_of_first_appearance() {
        let note = "gitlab-org/gitlab#2 then gitlab-com/gl-infra/production#1234, \
                    https://gitlab.com/gitlab-org/gitlab/-/issues/2 again \
                    and https://gitlab.com/gitlab-com/gl-infra/production/-/work_items/1234";
        let shown: Vec<String> = find_refs(note, &gitlab_com())
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            ["gitlab-org/gitlab#2", "gitlab-com/gl-infra/production#1234"]
        );
    }

    #[test]
    fn an_issue_link_with_an_invisible_character_is_refused_not_cleaned() {
        let url = format!("https://gitlab.com/{PROJECT}/-/issues/12");
        for bad in [
            format!("{url}\0"),
            format!("{url}\u{1}"),
            format!("{PROJECT}#1\u{202E}2"),
        ] {
            let err = IssueRef::parse(&bad, &gitlab_com())
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("the issue link contains U+"),
                "{bad:?}: {err}"
            );
        }
    }

    #[test]
    fn find_refs_strips_surrounding_punctuation() {
        let note = "(gitlab-org/gitlab#1) [gitlab-org/gitlab#2]; \"gitlab-org/gitlab#3\"! \
                    <https://gitlab.com/gitlab-org/gitlab/-/issues/4> 'gitlab-org/gitlab#5'? \
                    gitlab-org/gitlab#6: **gitlab-org/gitlab#7**";
        let iids: Vec<u64> = find_refs(note, &gitlab_com())
            .iter()
            .map(IssueRef::iid)
            .collect();
        assert_eq!(iids, [1, 2, 3, 4, 5, 6, 7]);
    }

    #[test]
    fn find_refs_takes_the_url_of_a_markdown_link() {
        let note = "Caused by [the outage](https://gitlab.com/gitlab-com/gl-infra/production/-/issues/1234).";
        assert_eq!(find_refs(note, &gitlab_com()), vec![expected()]);
    }

    #[test]
    fn find_refs_counts_bare_numbers_only_with_a_default_project() {
        let note = "Follow-up to #1234 (see #1234).";
        assert_eq!(find_refs(note, &gitlab_com()), Vec::<IssueRef>::new());
        assert_eq!(find_refs(note, &with_default()), vec![expected()]);
    }

    #[test]
    fn find_refs_skips_everything_else() {
        let note = "#hashtag production#12 https://github.com/a/b/issues/1 \
                    https://gitlab.com/a/b/-/merge_requests/3 a/b#0 ## C# é#1 #";
        assert!(find_refs(note, &with_default()).is_empty());
        assert!(find_refs("", &gitlab_com()).is_empty());
    }

    #[test]
    fn find_ref_spans_cover_only_the_reference() {
        let text = "x (gitlab-org/gitlab#9), [y](https://gitlab.com/a/b/-/issues/3).";
        let spans = find_ref_spans(text, &gitlab_com());
        let covered: Vec<&str> = spans
            .iter()
            .map(|(range, _)| &text[range.clone()])
            .collect();
        assert_eq!(
            covered,
            ["gitlab-org/gitlab#9", "https://gitlab.com/a/b/-/issues/3"]
        );
    }
}
