//! Settings from the environment (and optionally `baton.toml`), typed and
//! checked once at start.

use std::collections::HashMap;
use std::net::ToSocketAddrs;

mod chat;
mod options;

pub use crate::domain::chat::ChatTarget;
use crate::domain::issue_ref::GitLab;
pub use chat::{Chat, DEFAULT_ESCALATE_AFTER, DEFAULT_ESCALATE_MAX, url_host};

pub use options::OPTIONS;

/// The default of `BATON_GITLAB_REFRESH`.
pub const DEFAULT_REFRESH: std::time::Duration = std::time::Duration::from_secs(300);

/// The default of `BATON_GITLAB_WATCH_LABELS`.
pub const DEFAULT_WATCH_LABELS: &str = "outage,(perceived) data loss";

/// The environment variable naming the configuration file (read from the
/// environment only, so not one of [`OPTIONS`]).
pub const CONFIG_FILE: &str = "BATON_CONFIG";

/// A secret setting: never printed, not even in debug output.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    /// The secret itself, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The GitLab OAuth application Baton signs people in with.
#[derive(Debug, Clone)]
pub struct GitLabOAuth {
    /// The application id.
    pub client_id: String,
    /// The application secret.
    pub client_secret: Secret,
    /// Full paths of the groups whose members may sign in.
    pub allowed_groups: Vec<String>,
}

/// GitLab, live: reading issues back with a token, webhooks in, and the
/// watched projects.
#[derive(Debug, Clone)]
pub struct GitLabLive {
    /// The API token (`read_api`); without it nothing is read from GitLab.
    pub api_token: Option<Secret>,
    /// How old a cached issue may get before it is read again.
    pub refresh: std::time::Duration,
    /// The webhook's secret token; without it the webhook answers 404.
    pub webhook_secret: Option<Secret>,
    /// Project paths whose open issues with a watch label need a handoff.
    pub projects: Vec<String>,
    /// The watch labels.
    pub watch_labels: Vec<String>,
}

impl GitLabLive {
    /// Whether issues are read from GitLab (a token is configured).
    pub fn reads_issues(&self) -> bool {
        self.api_token.is_some()
    }
}

/// Reads a duration such as `30s`, `5m`, `1h`, `1h30m` or `500ms`; the
/// message says what is accepted.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let bad = || format!("{text:?} is not a duration such as 30s, 5m or 1h");
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(bad());
    }
    let mut total = std::time::Duration::ZERO;
    while !rest.is_empty() {
        let digits = rest.len() - rest.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        if digits == 0 {
            return Err(bad());
        }
        let number: u64 = rest[..digits].parse().map_err(|_| bad())?;
        rest = &rest[digits..];
        let (unit, millis) = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000)]
            .into_iter()
            .find(|(unit, _)| rest.starts_with(unit) && !(*unit == "m" && rest.starts_with("ms")))
            .ok_or_else(bad)?;
        rest = &rest[unit.len()..];
        let part = number.checked_mul(millis).ok_or_else(bad)?;
        total = total
            .checked_add(std::time::Duration::from_millis(part))
            .ok_or_else(bad)?;
    }
    if total.is_zero() {
        return Err(format!("{text:?} is no time at all"));
    }
    Ok(total)
}

/// A comma-separated list, trimmed, without empty entries.
fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How log lines are written (`BATON_LOG_FORMAT`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, for a log pipeline.
    Json,
}

impl LogFormat {
    /// Reads `text` or `json`; the message names the variable.
    pub fn parse(text: &str) -> Result<LogFormat, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "" | "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            other => Err(format!(
                "BATON_LOG_FORMAT: {other:?} is neither text nor json"
            )),
        }
    }
}

/// A comma-separated list of CIDRs (or single addresses) in `key`.
fn cidr_list(key: &str, text: Option<&str>) -> Result<Vec<ipnet::IpNet>, String> {
    comma_list(text.unwrap_or_default())
        .iter()
        .map(|p| {
            p.parse::<ipnet::IpNet>()
                .or_else(|_| p.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("{key}: {p:?} is not an address or a CIDR like 10.0.0.0/8"))
        })
        .collect()
}

/// The typed settings.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: String,
    /// Listen address, `host:port`.
    pub bind: String,
    /// Base of permalinks, without a trailing slash.
    pub public_url: String,
    /// The GitLab instance and default project.
    pub gitlab: GitLab,
    /// A session key given by the operator (else one kept in the database).
    pub session_key: Option<Secret>,
    /// Sign in with GitLab; without it Baton runs in local mode.
    pub oauth: Option<GitLabOAuth>,
    /// Signed-out visitors may read non-confidential handoffs.
    pub public_read: bool,
    /// Local mode may listen beyond loopback.
    pub allow_insecure_local_mode: bool,
    /// Reverse proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Issues read back from GitLab, webhooks, watched projects.
    pub live: GitLabLive,
    /// Where backups go.
    pub backup_dir: Option<std::path::PathBuf>,
    /// The scratch PostgreSQL database of `baton drill`.
    pub drill_database_url: Option<String>,
    /// Who may read `/metrics` besides loopback.
    pub metrics_allow: Vec<ipnet::IpNet>,
    /// A bearer token that reads `/metrics` from anywhere.
    pub metrics_token: Option<Secret>,
    /// How log lines are written.
    pub log_format: LogFormat,
    /// Back the database up before applying migrations (`--no-backup`
    /// turns it off; not an environment setting).
    pub backup_before_migrating: bool,
    /// Chat webhooks and escalation.
    pub chat: Chat,
}

impl Settings {
    /// Reads the process environment, over `baton.toml` in the working
    /// directory (or the file `BATON_CONFIG` names) when there is one.
    pub fn from_env() -> Result<Settings, String> {
        let file = std::env::var(CONFIG_FILE).ok();
        let path = file.as_deref().unwrap_or("baton.toml");
        let mut values = match std::fs::read_to_string(path) {
            Ok(text) => parse_toml(&text).map_err(|e| format!("{path}: {e}"))?,
            Err(_) if file.is_none() => HashMap::new(),
            Err(e) => return Err(format!("{path}: {e}")),
        };
        for (key, _, _) in OPTIONS {
            if let Ok(value) = std::env::var(key) {
                values.insert((*key).to_owned(), value);
            }
        }
        if !values.contains_key("BATON_DATABASE_URL")
            && let Ok(url) = std::env::var("DATABASE_URL")
        {
            values.insert("BATON_DATABASE_URL".into(), url);
        }
        Settings::from_values(&values)
    }

    /// Builds settings from `KEY → value` pairs; the message names the key.
    pub fn from_values(values: &HashMap<String, String>) -> Result<Settings, String> {
        let get = |key: &str| values.get(key).map(|v| v.trim()).filter(|v| !v.is_empty());
        let bind = get("BATON_BIND").unwrap_or("127.0.0.1:8080").to_owned();
        let public_url = get("BATON_PUBLIC_URL")
            .map(|u| u.trim_end_matches('/').to_owned())
            .unwrap_or_else(|| format!("http://{bind}"));
        if !(public_url.starts_with("http://") || public_url.starts_with("https://")) {
            return Err(format!(
                "BATON_PUBLIC_URL must be an http(s) URL, not {public_url:?}"
            ));
        }
        let gitlab = GitLab::new(
            get("BATON_GITLAB_URL").unwrap_or("https://gitlab.com"),
            get("BATON_GITLAB_DEFAULT_PROJECT"),
        )
        .map_err(|e| format!("BATON_GITLAB_URL / BATON_GITLAB_DEFAULT_PROJECT: {e}"))?;
        let session_key = get("BATON_SESSION_KEY").map(|k| Secret(k.to_owned()));
        if let Some(key) = &session_key
            && key.expose().len() < 64
        {
            return Err("BATON_SESSION_KEY must be at least 64 characters".into());
        }
        let oauth = match get("BATON_GITLAB_CLIENT_ID") {
            None => None,
            Some(client_id) => {
                let client_secret = get("BATON_GITLAB_CLIENT_SECRET")
                    .ok_or("BATON_GITLAB_CLIENT_SECRET is required with BATON_GITLAB_CLIENT_ID")?;
                let allowed_groups: Vec<String> = get("BATON_GITLAB_ALLOWED_GROUPS")
                    .unwrap_or_default()
                    .split(',')
                    .map(|g| g.trim().trim_matches('/').to_owned())
                    .filter(|g| !g.is_empty())
                    .collect();
                if allowed_groups.is_empty() {
                    return Err(
                        "BATON_GITLAB_ALLOWED_GROUPS is required with GitLab sign-in: \
                                name the groups whose members may sign in"
                            .into(),
                    );
                }
                Some(GitLabOAuth {
                    client_id: client_id.to_owned(),
                    client_secret: Secret(client_secret.to_owned()),
                    allowed_groups,
                })
            }
        };
        let allow = get("BATON_ALLOW_INSECURE_LOCAL_MODE");
        let trusted_proxies = cidr_list("BATON_TRUSTED_PROXIES", get("BATON_TRUSTED_PROXIES"))?;
        let metrics_allow = cidr_list("BATON_METRICS_ALLOW", get("BATON_METRICS_ALLOW"))?;
        let metrics_token = get("BATON_METRICS_TOKEN").map(|t| Secret(t.to_owned()));
        if metrics_token
            .as_ref()
            .is_some_and(|t| t.expose().len() < 16)
        {
            return Err("BATON_METRICS_TOKEN must be at least 16 characters".into());
        }
        let refresh = match get("BATON_GITLAB_REFRESH") {
            Some(text) => parse_duration(text).map_err(|e| format!("BATON_GITLAB_REFRESH: {e}"))?,
            None => DEFAULT_REFRESH,
        };
        let projects = comma_list(get("BATON_GITLAB_PROJECTS").unwrap_or_default())
            .into_iter()
            .map(|p| p.trim_matches('/').to_owned())
            .collect::<Vec<_>>();
        for project in &projects {
            crate::domain::issue_ref::IssueRef::new(project, 1)
                .map_err(|e| format!("BATON_GITLAB_PROJECTS: {project:?}: {e}"))?;
        }
        let watch_labels =
            comma_list(get("BATON_GITLAB_WATCH_LABELS").unwrap_or(DEFAULT_WATCH_LABELS));
        if watch_labels.is_empty() {
            return Err("BATON_GITLAB_WATCH_LABELS names no label".into());
        }
        if let Some(token) = get("BATON_GITLAB_API_TOKEN")
            && !token.bytes().all(|b| b.is_ascii_graphic())
        {
            return Err(
                "BATON_GITLAB_API_TOKEN holds spaces or characters an HTTP header cannot carry"
                    .into(),
            );
        }
        let live = GitLabLive {
            api_token: get("BATON_GITLAB_API_TOKEN").map(|t| Secret(t.to_owned())),
            refresh,
            webhook_secret: get("BATON_GITLAB_WEBHOOK_SECRET").map(|t| Secret(t.to_owned())),
            projects,
            watch_labels,
        };
        let drill_database_url = get("BATON_DRILL_DATABASE_URL").map(str::to_owned);
        if let Some(url) = &drill_database_url
            && !(url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            return Err(
                "BATON_DRILL_DATABASE_URL must be a postgres://… URL (without it the drill uses a temporary SQLite file)"
                    .into(),
            );
        }
        let chat = Chat::from_values(&get)?;
        Ok(Settings {
            chat,
            database_url: get("BATON_DATABASE_URL")
                .unwrap_or("sqlite://baton.db")
                .to_owned(),
            bind,
            public_url,
            gitlab,
            session_key,
            allow_insecure_local_mode: matches!(allow, Some("1" | "true" | "yes")),
            oauth,
            public_read: matches!(get("BATON_PUBLIC_READ"), Some("1" | "true" | "yes")),
            trusted_proxies,
            live,
            backup_dir: get("BATON_BACKUP_DIR").map(std::path::PathBuf::from),
            drill_database_url,
            metrics_allow,
            metrics_token,
            log_format: LogFormat::parse(get("BATON_LOG_FORMAT").unwrap_or_default())?,
            backup_before_migrating: true,
        })
    }

    /// Local mode: no GitLab application is configured, and anyone who
    /// reaches Baton picks a user.
    pub fn local_mode(&self) -> bool {
        self.oauth.is_none()
    }

    /// Local mode refuses to listen on anything but loopback unless
    /// explicitly forced.
    pub fn check_local_mode_bind(&self) -> Result<(), String> {
        if !self.local_mode() || self.allow_insecure_local_mode {
            return Ok(());
        }
        let addrs: Vec<_> = self
            .bind
            .to_socket_addrs()
            .map_err(|e| format!("BATON_BIND {:?}: {e}", self.bind))?
            .collect();
        if addrs.is_empty() || addrs.iter().any(|a| !a.ip().is_loopback()) {
            return Err(format!(
                "local mode signs in anyone who reaches Baton, so it listens only on loopback; \
                 BATON_BIND={} is not loopback (set BATON_ALLOW_INSECURE_LOCAL_MODE=1 to force it)",
                self.bind
            ));
        }
        Ok(())
    }

    /// Whether cookies must be `Secure`.
    pub fn is_https(&self) -> bool {
        self.public_url.starts_with("https://")
    }
}

/// Reads `baton.toml`: keys are the environment names, or the same without
/// `BATON_` in lower case (`bind = "0.0.0.0:8080"`); values are strings,
/// numbers or booleans.
fn parse_toml(text: &str) -> Result<HashMap<String, String>, String> {
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| e.message().to_owned())?;
    let mut values = HashMap::new();
    for (key, value) in table {
        let key = if key.starts_with("BATON_") {
            key
        } else {
            format!("BATON_{}", key.to_uppercase())
        };
        if !OPTIONS.iter().any(|(k, _, _)| *k == key) {
            return Err(format!("unknown setting {key}"));
        }
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Boolean(b) => (if b { "1" } else { "0" }).to_owned(),
            toml::Value::Integer(i) => i.to_string(),
            _ => return Err(format!("{key} takes a string, a number or true/false")),
        };
        values.insert(key, value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(pairs: &[(&str, &str)]) -> Result<Settings, String> {
        Settings::from_values(
            &pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        )
    }

    #[test]
    fn defaults_serve_sqlite_on_loopback() {
        let s = settings(&[]).unwrap();
        assert_eq!(s.database_url, "sqlite://baton.db");
        assert_eq!(s.public_url, "http://127.0.0.1:8080");
        assert!(s.check_local_mode_bind().is_ok());
    }

    #[test]
    fn local_mode_refuses_a_public_address_unless_forced() {
        let s = settings(&[("BATON_BIND", "0.0.0.0:8080")]).unwrap();
        assert!(
            s.check_local_mode_bind()
                .unwrap_err()
                .contains("BATON_ALLOW_INSECURE_LOCAL_MODE")
        );
        let forced = settings(&[
            ("BATON_BIND", "0.0.0.0:8080"),
            ("BATON_ALLOW_INSECURE_LOCAL_MODE", "1"),
        ])
        .unwrap();
        assert!(forced.check_local_mode_bind().is_ok());
    }

    #[test]
    fn gitlab_sign_in_needs_a_secret_and_groups_and_keeps_the_secret_out_of_debug_output() {
        assert!(settings(&[("BATON_GITLAB_CLIENT_ID", "id")]).is_err());
        assert!(
            settings(&[
                ("BATON_GITLAB_CLIENT_ID", "id"),
                ("BATON_GITLAB_CLIENT_SECRET", "s3cret")
            ])
            .is_err()
        );
        let s = settings(&[
            ("BATON_GITLAB_CLIENT_ID", "id"),
            ("BATON_GITLAB_CLIENT_SECRET", "s3cret"),
            (
                "BATON_GITLAB_ALLOWED_GROUPS",
                " gitlab-com/gl-infra/ ,gitlab-org",
            ),
            ("BATON_BIND", "0.0.0.0:8080"),
        ])
        .unwrap();
        assert!(!s.local_mode());
        assert!(
            s.check_local_mode_bind().is_ok(),
            "only local mode is held to loopback"
        );
        assert_eq!(
            s.oauth.as_ref().unwrap().allowed_groups,
            ["gitlab-com/gl-infra", "gitlab-org"]
        );
        assert!(!format!("{s:?}").contains("s3cret"));
    }

    #[test]
    fn durations_read_as_people_write_them_and_a_bad_one_is_named() {
        use std::time::Duration;
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration(" 1h30m "), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        for bad in [
            "",
            "5",
            "m",
            "5 minutes",
            "-5m",
            "0s",
            "5d",
            "99999999999999999999h",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        let err = settings(&[("BATON_GITLAB_REFRESH", "soon")]).unwrap_err();
        assert!(
            err.contains("BATON_GITLAB_REFRESH") && err.contains("30s"),
            "{err}"
        );
        assert_eq!(settings(&[]).unwrap().live.refresh, DEFAULT_REFRESH);
    }

    #[test]
    fn the_gitlab_token_and_webhook_secret_stay_out_of_debug_output() {
        let s = settings(&[
            ("BATON_GITLAB_API_TOKEN", "glpat-very-secret-1"),
            ("BATON_GITLAB_WEBHOOK_SECRET", "hook-secret-2"),
            (
                "BATON_GITLAB_PROJECTS",
                "gitlab-com/gl-infra/production, /a/b/",
            ),
        ])
        .unwrap();
        assert!(s.live.reads_issues());
        assert_eq!(s.live.projects, ["gitlab-com/gl-infra/production", "a/b"]);
        assert_eq!(s.live.watch_labels, ["outage", "(perceived) data loss"]);
        let debug = format!("{s:?}");
        assert!(!debug.contains("glpat-very-secret-1") && !debug.contains("hook-secret-2"));
        assert!(settings(&[("BATON_GITLAB_PROJECTS", "not a project")]).is_err());
        let err = settings(&[("BATON_GITLAB_API_TOKEN", "glpat-with space")]).unwrap_err();
        assert!(
            err.contains("BATON_GITLAB_API_TOKEN") && !err.contains("glpat"),
            "{err}"
        );
        assert!(!settings(&[]).unwrap().live.reads_issues());
    }

    #[test]
    fn the_log_format_is_text_unless_json_is_asked_for_and_a_typo_is_named() {
        assert_eq!(settings(&[]).unwrap().log_format, LogFormat::Text);
        let json = settings(&[("BATON_LOG_FORMAT", " JSON ")]).unwrap();
        assert_eq!(json.log_format, LogFormat::Json);
        let err = settings(&[("BATON_LOG_FORMAT", "jsno")]).unwrap_err();
        assert!(
            err.contains("BATON_LOG_FORMAT") && err.contains("jsno"),
            "{err}"
        );
    }

    #[test]
    fn metrics_readers_are_cidrs_and_a_token_that_stays_out_of_debug_output() {
        let s = settings(&[
            ("BATON_METRICS_ALLOW", "10.1.0.0/16, 192.0.2.7"),
            ("BATON_METRICS_TOKEN", "scrape-token-0123456789"),
        ])
        .unwrap();
        assert_eq!(s.metrics_allow.len(), 2);
        assert!(!format!("{s:?}").contains("scrape-token-0123456789"));
        let err = settings(&[("BATON_METRICS_ALLOW", "everyone")]).unwrap_err();
        assert!(err.contains("BATON_METRICS_ALLOW"), "{err}");
        assert!(settings(&[("BATON_METRICS_TOKEN", "short")]).is_err());
        assert!(settings(&[]).unwrap().metrics_allow.is_empty());
    }

    #[test]
    fn chat_webhooks_and_escalation_are_checked_and_the_url_never_shows() {
        let s = settings(&[
            (
                "BATON_SLACK_WEBHOOK_URL",
                "https://hooks.slack.com/services/T0/B0/sekrit",
            ),
            ("BATON_ESCALATE_AFTER", "90s"),
        ])
        .unwrap();
        assert_eq!(s.chat.targets(), [ChatTarget::Slack]);
        assert_eq!(s.chat.escalate_after.as_secs(), 90);
        assert_eq!(s.chat.escalate_to_role, "IMOC");
        assert_eq!(s.chat.escalate_max, 3);
        assert!(!format!("{s:?}").contains("sekrit"));
        assert_eq!(
            url_host("https://hooks.slack.com/services/x"),
            "hooks.slack.com"
        );
        let err = settings(&[(
            "BATON_MATTERMOST_WEBHOOK_URL",
            "ftp://chat.example.com/hooks/sekrit",
        )])
        .unwrap_err();
        assert!(
            err.contains("BATON_MATTERMOST_WEBHOOK_URL") && !err.contains("sekrit"),
            "{err}"
        );
        let err = settings(&[("BATON_ESCALATE_AFTER", "soon")]).unwrap_err();
        assert!(err.contains("BATON_ESCALATE_AFTER"), "{err}");
        let err = settings(&[("BATON_ESCALATE_MAX", "many")]).unwrap_err();
        assert!(err.contains("BATON_ESCALATE_MAX"), "{err}");
        assert_eq!(settings(&[]).unwrap().chat.escalate_after.as_secs(), 900);
    }

    #[test]
    fn a_short_session_key_is_refused() {
        assert!(settings(&[("BATON_SESSION_KEY", "short")]).is_err());
    }

    #[test]
    fn the_toml_file_takes_both_spellings_of_a_key() {
        let values = parse_toml(
            "# c\nbind = \"0.0.0.0:9\"\nBATON_GITLAB_URL = \"https://git.example.com\"\n",
        )
        .unwrap();
        assert_eq!(values["BATON_BIND"], "0.0.0.0:9");
        assert_eq!(values["BATON_GITLAB_URL"], "https://git.example.com");
        assert!(
            parse_toml("colour = \"blue\"")
                .unwrap_err()
                .contains("unknown setting")
        );
    }
}
