-- Instants are UTC, stored as TIMESTAMP text; ids are UUID v7 text (time-ordered).
CREATE TABLE users (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    username TEXT COLLATE "C" NOT NULL UNIQUE,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    role TEXT NOT NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE api_tokens (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    token_hash TEXT NOT NULL UNIQUE,
    created_at TIMESTAMP NOT NULL,
    last_used_at TIMESTAMP
);

CREATE TABLE shifts (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX shifts_by_end ON shifts(ends_at, starts_at);
CREATE INDEX shifts_by_start ON shifts(starts_at);
CREATE INDEX shifts_by_user ON shifts(user_id, ends_at);

CREATE TABLE handoffs (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    severity INTEGER NOT NULL,
    status TEXT NOT NULL,
    confidential BOOLEAN NOT NULL DEFAULT FALSE,
    holder_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    pending_to_id TEXT COLLATE "C" REFERENCES users(id),
    pending_since TIMESTAMP,
    pending_note_id TEXT COLLATE "C",
    created_by_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    dl_scope TEXT,
    dl_recovery_point TEXT,
    dl_verification TEXT,
    dl_customers_notified BOOLEAN,
    latest_note_excerpt TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    last_activity_at TIMESTAMP NOT NULL,
    resolved_at TIMESTAMP,
    version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX handoffs_by_status ON handoffs(status, last_activity_at, id);
CREATE INDEX handoffs_by_holder ON handoffs(holder_id, status);
CREATE INDEX handoffs_by_pending ON handoffs(pending_to_id);

CREATE TABLE notes (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    handoff_id TEXT COLLATE "C" NOT NULL REFERENCES handoffs(id),
    author_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    body TEXT NOT NULL,
    body_html TEXT NOT NULL,
    pass_to_id TEXT COLLATE "C" REFERENCES users(id),
    acknowledged_at TIMESTAMP,
    resolves BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP
);
CREATE INDEX notes_by_handoff ON notes(handoff_id, id);
CREATE INDEX notes_by_time ON notes(created_at);

CREATE TABLE note_revisions (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    note_id TEXT COLLATE "C" NOT NULL REFERENCES notes(id),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX note_revisions_by_note ON note_revisions(note_id);

CREATE TABLE issue_links (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    handoff_id TEXT COLLATE "C" NOT NULL REFERENCES handoffs(id),
    note_id TEXT COLLATE "C" REFERENCES notes(id),
    project TEXT COLLATE "C" NOT NULL,
    iid BIGINT NOT NULL
);
CREATE INDEX issue_links_by_handoff ON issue_links(handoff_id);
CREATE INDEX issue_links_by_issue ON issue_links(project, iid);

CREATE TABLE handovers (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    from_user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    to_user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    summary TEXT NOT NULL,
    handoff_count INTEGER NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX handovers_by_time ON handovers(created_at);

CREATE TABLE settings (
    name TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
