CREATE OR REPLACE FUNCTION baton_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('baton_changes', '');
    RETURN NULL;
END
$$;
DROP SEQUENCE baton_changes_data;
DROP SEQUENCE baton_changes_callers;
