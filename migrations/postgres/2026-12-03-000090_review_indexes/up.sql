-- The weekly review (issue 15): passes by when they were written, with
-- what the review reads of them (a partial index: only notes that pass, so
-- that writing other notes does not pay for it), handoffs by when they
-- were opened and resolved, escalations by when.
CREATE INDEX notes_passes_by_time ON notes(created_at, pass_to_id, acknowledged_at) WHERE pass_to_id IS NOT NULL;
CREATE INDEX handoffs_by_created ON handoffs(created_at);
CREATE INDEX handoffs_by_resolved ON handoffs(resolved_at, created_at);
CREATE INDEX pass_escalations_by_time ON pass_escalations(escalated_at);
