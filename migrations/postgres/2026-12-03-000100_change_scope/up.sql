-- Each notification on baton_changes says whether the commit may have
-- changed who a session or token is ('' : sessions, api_tokens, users) or
-- not ('data'), so that Baton's instances keep resolved callers through a
-- stream of notes. Notifications with the same payload in one transaction
-- are sent once.
CREATE OR REPLACE FUNCTION baton_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME IN ('sessions', 'api_tokens', 'users') THEN
        PERFORM pg_notify('baton_changes', '');
    ELSE
        PERFORM pg_notify('baton_changes', 'data');
    END IF;
    RETURN NULL;
END
$$;
