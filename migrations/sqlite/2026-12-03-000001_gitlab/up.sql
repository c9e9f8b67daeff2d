-- GitLab, live: the issues Baton shows (a cache of GitLab's answers, keyed
-- by the project path in lower case and the issue number), whether GitLab
-- answers, the webhook deliveries already applied, and the leases that let
-- one instance at a time do a periodic job.
CREATE TABLE gitlab_issues (
    project TEXT NOT NULL,
    iid BIGINT NOT NULL,
    title TEXT NOT NULL,
    state TEXT NOT NULL,
    labels TEXT NOT NULL,
    milestone TEXT,
    assignees TEXT NOT NULL,
    confidential BOOLEAN NOT NULL,
    web_url TEXT NOT NULL,
    gitlab_created_at TIMESTAMP,
    gitlab_updated_at TIMESTAMP,
    fetched_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP,
    watched BOOLEAN NOT NULL DEFAULT 0,
    PRIMARY KEY (project, iid)
);
CREATE INDEX gitlab_issues_by_watched ON gitlab_issues(watched, state);

CREATE TABLE gitlab_status (
    name TEXT PRIMARY KEY NOT NULL,
    unavailable_since TIMESTAMP,
    last_error TEXT,
    inventory_at TIMESTAMP
);

CREATE TABLE webhook_deliveries (
    id TEXT PRIMARY KEY NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX webhook_deliveries_by_time ON webhook_deliveries(received_at);

CREATE TABLE job_leases (
    name TEXT PRIMARY KEY NOT NULL,
    owner TEXT NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
