DROP INDEX shifts_by_import_uid;
ALTER TABLE shifts DROP COLUMN updated_at;
ALTER TABLE shifts DROP COLUMN import_uid;
