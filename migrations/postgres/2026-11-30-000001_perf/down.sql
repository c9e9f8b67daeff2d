CREATE INDEX shifts_by_start ON shifts(starts_at);
DROP INDEX shifts_by_start_role;
