DROP INDEX pass_escalations_by_time;
DROP INDEX handoffs_by_resolved;
DROP INDEX handoffs_by_created;
DROP INDEX notes_passes_by_time;
