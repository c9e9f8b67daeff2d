DROP FUNCTION baton_changed() CASCADE;
