-- Baton's instances learn of commits from anywhere (another instance, a
-- `baton` command, psql) by two counters the change triggers bump: one for
-- the tables that say who a session or token is (sessions, api_tokens,
-- users), one for the others. A NOTIFY at commit, as before, takes one lock
-- for the whole database and holds it through the commit's flush, so that
-- notifying commits never share a flush: under a stream of notes, every
-- write waited for the one before it. A sequence is bumped without a lock
-- held to the end of the transaction; the watcher (src/db/changes.rs)
-- reads the counters, then the transactions still running, and looks again
-- when those end, for a bump whose commit it could not see yet.
CREATE SEQUENCE baton_changes_callers;
CREATE SEQUENCE baton_changes_data;

CREATE OR REPLACE FUNCTION baton_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME IN ('sessions', 'api_tokens', 'users') THEN
        PERFORM nextval('baton_changes_callers');
    ELSE
        PERFORM nextval('baton_changes_data');
    END IF;
    RETURN NULL;
END
$$;
