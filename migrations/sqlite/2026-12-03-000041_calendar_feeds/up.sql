-- Calendar feed secrets (issue 14): one per person and kind (personal or
-- team), for calendar apps that cannot send a token. Stored only as a
-- SHA-256 hash, as API tokens are; regenerating replaces it.
CREATE TABLE calendar_feeds (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    kind TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX calendar_feeds_by_user_kind ON calendar_feeds(user_id, kind);
CREATE UNIQUE INDEX calendar_feeds_by_hash ON calendar_feeds(token_hash);
