-- Calendar feed secrets (issue 14): one per person and kind (personal or
-- team), for calendar apps that cannot send a token. Stored only as a
-- SHA-256 hash, as API tokens are; regenerating replaces it.
CREATE TABLE calendar_feeds (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    user_id TEXT COLLATE "C" NOT NULL REFERENCES users(id),
    kind TEXT COLLATE "C" NOT NULL,
    token_hash TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX calendar_feeds_by_user_kind ON calendar_feeds(user_id, kind);
CREATE UNIQUE INDEX calendar_feeds_by_hash ON calendar_feeds(token_hash);

CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON calendar_feeds
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
