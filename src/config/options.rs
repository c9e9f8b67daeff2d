//! The table of every option Baton reads; the README's configuration table
//! is checked against it (tests/it/drift.rs).

/// Every option Baton reads, with its default and meaning (the README's table).
pub const OPTIONS: &[(&str, &str, &str)] = &[
    (
        "BATON_DATABASE_URL",
        "sqlite://baton.db",
        "sqlite://PATH (embedded) or postgres://… (DATABASE_URL is read too)",
    ),
    ("BATON_BIND", "127.0.0.1:8080", "listen address"),
    ("BATON_PUBLIC_URL", "http://{bind}", "base of permalinks"),
    (
        "BATON_GITLAB_URL",
        "https://gitlab.com",
        "the GitLab instance",
    ),
    (
        "BATON_GITLAB_DEFAULT_PROJECT",
        "none",
        "project for bare #123",
    ),
    (
        "BATON_SESSION_KEY",
        "generated once, kept in the database",
        "at least 64 characters; signs and encrypts session cookies",
    ),
    (
        "BATON_ALLOW_INSECURE_LOCAL_MODE",
        "0",
        "1 lets local mode listen beyond loopback",
    ),
    (
        "BATON_GITLAB_CLIENT_ID",
        "none (local mode)",
        "the GitLab OAuth application's id; turns on Sign in with GitLab",
    ),
    (
        "BATON_GITLAB_CLIENT_SECRET",
        "none",
        "the GitLab OAuth application's secret",
    ),
    (
        "BATON_GITLAB_ALLOWED_GROUPS",
        "none",
        "full group paths, comma-separated; members of any (or of a subgroup) may sign in",
    ),
    (
        "BATON_PUBLIC_READ",
        "0",
        "1 lets signed-out visitors read non-confidential handoffs",
    ),
    (
        "BATON_TRUSTED_PROXIES",
        "none",
        "CIDRs of reverse proxies, comma-separated; from these, the client address is read from X-Forwarded-For",
    ),
    (
        "BATON_GITLAB_API_TOKEN",
        "none (links show only their reference)",
        "a GitLab token with read_api; turns on issue titles, states and labels, and the list of open outages nobody holds",
    ),
    (
        "BATON_GITLAB_REFRESH",
        "5m",
        "how old a linked issue may get before it is read again (30s, 5m, 1h)",
    ),
    (
        "BATON_GITLAB_WEBHOOK_SECRET",
        "none (POST /hooks/gitlab answers 404)",
        "the secret token of the GitLab webhook (Issue and Comment events)",
    ),
    (
        "BATON_GITLAB_PROJECTS",
        "none",
        "project paths, comma-separated, whose open issues with a watch label must have a handoff",
    ),
    (
        "BATON_GITLAB_WATCH_LABELS",
        "outage,(perceived) data loss",
        "labels, comma-separated, that make an open issue of those projects need a handoff",
    ),
    (
        "BATON_BACKUP_DIR",
        "next to the SQLite file; none for PostgreSQL",
        "where `baton backup` and the backup before a migration write archives",
    ),
    (
        "BATON_DRILL_DATABASE_URL",
        "none (a temporary SQLite file)",
        "postgres://… of a database `baton drill` creates, restores into and drops",
    ),
    (
        "BATON_METRICS_ALLOW",
        "none (loopback only)",
        "CIDRs, comma-separated, that may read /metrics besides loopback",
    ),
    (
        "BATON_METRICS_TOKEN",
        "none",
        "a bearer token that reads /metrics from anywhere",
    ),
    (
        "BATON_LOG_FORMAT",
        "text",
        "text (readable) or json (one JSON object a line): a line per request and per job step",
    ),
    (
        "BATON_SLACK_WEBHOOK_URL",
        "none",
        "a Slack incoming webhook's URL: handoffs, passes, acknowledgements, escalations and resolutions are posted there",
    ),
    (
        "BATON_MATTERMOST_WEBHOOK_URL",
        "none",
        "a Mattermost incoming webhook's URL: the same messages, in Mattermost's format",
    ),
    (
        "BATON_ESCALATE_AFTER",
        "15m",
        "how long a pass may wait unacknowledged before it escalates (severity 1: a third of it); again after each further period",
    ),
    (
        "BATON_ESCALATE_TO_ROLE",
        "IMOC",
        "the rotation role whose person on call an escalation names",
    ),
    (
        "BATON_ESCALATE_MAX",
        "3",
        "the most times one pass escalates (0: never)",
    ),
];
