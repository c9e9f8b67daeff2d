-- Chat notifications and escalation (issue 13).
--
-- chat_outbox: every message to a chat webhook, written in the transaction
-- of the change that caused it, one row per configured target, unique by
-- its idempotency key (pass:{note}:{target}, esc:{note}:{n}:{target}, …).
-- A background job claims due rows (status pending → sending, with a lease)
-- and records the outcome: delivered, pending again with a later
-- next_attempt_at, dead (refused, or retried for 24 hours), or unknown (a
-- lease that expired while sending: never sent again on its own).
CREATE TABLE chat_outbox (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    idem_key TEXT COLLATE "C" NOT NULL UNIQUE,
    target TEXT COLLATE "C" NOT NULL,
    handoff_id TEXT COLLATE "C" NOT NULL,
    note_id TEXT COLLATE "C",
    event TEXT COLLATE "C" NOT NULL,
    payload TEXT NOT NULL,
    status TEXT COLLATE "C" NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_owner TEXT,
    lease_expires_at TIMESTAMP,
    last_attempt_at TIMESTAMP,
    last_error TEXT,
    delivered_at TIMESTAMP
);
CREATE INDEX chat_outbox_due ON chat_outbox(status, next_attempt_at);
CREATE INDEX chat_outbox_by_handoff ON chat_outbox(handoff_id, target, id);
CREATE INDEX chat_outbox_by_note ON chat_outbox(note_id);

-- The escalations of a pass (its note): how many so far, the last one's
-- time and whom it named. A row is claimed with one conditional write
-- (insert for the first, UPDATE … WHERE count = n for the next), so that
-- several instances never escalate one pass twice.
CREATE TABLE pass_escalations (
    note_id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    handoff_id TEXT COLLATE "C" NOT NULL,
    count INTEGER NOT NULL,
    escalated_at TIMESTAMP NOT NULL,
    escalated_to_id TEXT COLLATE "C"
);
CREATE INDEX pass_escalations_by_handoff ON pass_escalations(handoff_id);

-- A user's chat handle (a Slack member id or a Mattermost username), set on
-- the profile: chat messages mention it instead of the display name.
CREATE TABLE chat_handles (
    user_id TEXT COLLATE "C" PRIMARY KEY NOT NULL REFERENCES users(id),
    handle TEXT NOT NULL
);

-- Pages show both tables (a message's outcome beside its pass, the
-- escalation on the dashboard).
CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat_outbox
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON pass_escalations
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON chat_handles
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
