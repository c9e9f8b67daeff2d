-- Restore drills (`baton drill`): each run, passed or not, with the time of
-- each step; /admin/drills lists them and the dashboard warns admins when
-- the last one that passed is too old.
CREATE TABLE drills (
    id TEXT PRIMARY KEY NOT NULL,
    started_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    backend TEXT NOT NULL,
    schema_version TEXT NOT NULL,
    passed BOOLEAN NOT NULL,
    failed_step TEXT,
    failure TEXT,
    archive_bytes BIGINT,
    row_count BIGINT,
    backup_ms BIGINT,
    restore_ms BIGINT,
    verify_ms BIGINT,
    render_ms BIGINT,
    cleanup_ms BIGINT,
    total_ms BIGINT NOT NULL
);
CREATE INDEX drills_by_result ON drills(passed, started_at);
