-- Production events of the on-call log (issue 15): a change or an incident,
-- append-only; a correction is a new event naming the one it corrects.
CREATE TABLE events (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    author_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    handoff_id TEXT COLLATE "C" REFERENCES handoffs(id),
    corrects_id TEXT COLLATE "C" REFERENCES events(id),
    occurred_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX events_by_time ON events(occurred_at);
CREATE INDEX events_by_handoff ON events(handoff_id);
CREATE INDEX events_by_author ON events(author_id, occurred_at);

-- The GitLab issues an event links, as handoffs' issue_links do.
CREATE TABLE event_issues (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL REFERENCES events(id),
    project TEXT COLLATE "C" NOT NULL,
    iid BIGINT NOT NULL
);
CREATE INDEX event_issues_by_event ON event_issues(event_id);
CREATE INDEX event_issues_by_issue ON event_issues(project, iid);

-- The log and the handoff pages show events: a new one ends kept pages.
CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON event_issues
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
