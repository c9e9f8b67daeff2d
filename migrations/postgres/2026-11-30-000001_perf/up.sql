-- The on-call picture asks for the first start per role after now: with the
-- role in the index that is answered from the index alone.
CREATE INDEX shifts_by_start_role ON shifts(starts_at, role);
DROP INDEX shifts_by_start;
