-- Every commit that changes Baton's data tells Baton's instances, on the
-- channel baton_changes, so that what they keep (pages, sessions) is never
-- older than the last write: from another instance, a `baton` command or
-- psql alike. Notifications are delivered at commit, to this database only.
CREATE FUNCTION baton_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('baton_changes', '');
    RETURN NULL;
END
$$;

DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['api_tokens', 'audit_log', 'handoffs', 'handovers', 'issue_links',
                             'note_revisions', 'notes', 'sessions', 'settings', 'shifts', 'users']
    LOOP
        EXECUTE format('CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION baton_changed()', t);
    END LOOP;
END
$$;
