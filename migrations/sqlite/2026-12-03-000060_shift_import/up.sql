-- Calendar import (issue 14): a shift imported from a calendar keeps the
-- event's UID (one per occurrence of a recurring event), so that importing
-- the same file again finds it; and every shift says when it last changed
-- (the feeds' SEQUENCE), which an edit no longer writes into created_at.
ALTER TABLE shifts ADD COLUMN import_uid TEXT;
-- Null until the shift is first changed.
ALTER TABLE shifts ADD COLUMN updated_at TIMESTAMP;
CREATE UNIQUE INDEX shifts_by_import_uid ON shifts(role, import_uid);
