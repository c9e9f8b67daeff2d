-- Swap and cover (issue 14). A cover request: "cover me in ROLE from
-- starts_at to ends_at", asked by requester_id (or by an admin for them:
-- created_by_id), open until another member of the role takes it
-- (taken_by_id, taken_at; assigned_by_id when an admin chose who), or it is
-- cancelled. Taking it writes the override shift (shift_id). The weekly
-- review counts cover taken and given from requester_id and taken_by_id.
CREATE TABLE cover_requests (
    id TEXT PRIMARY KEY NOT NULL,
    requester_id TEXT NOT NULL REFERENCES users(id),
    role TEXT NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    ends_at TIMESTAMP NOT NULL,
    status TEXT NOT NULL,
    created_by_id TEXT NOT NULL REFERENCES users(id),
    created_at TIMESTAMP NOT NULL,
    taken_by_id TEXT REFERENCES users(id),
    taken_at TIMESTAMP,
    assigned_by_id TEXT REFERENCES users(id),
    shift_id TEXT,
    cancelled_at TIMESTAMP
);
CREATE INDEX cover_requests_by_start ON cover_requests(status, starts_at);
CREATE INDEX cover_requests_by_requester ON cover_requests(requester_id, starts_at);
CREATE INDEX cover_requests_by_taker ON cover_requests(taken_by_id, starts_at);

-- "Your future changed": what a change to the schedule did to one person's
-- next 14 days (before and after, as JSON), shown on their pages until they
-- dismiss it.
CREATE TABLE schedule_notices (
    id TEXT PRIMARY KEY NOT NULL,
    user_id TEXT NOT NULL REFERENCES users(id),
    cause TEXT NOT NULL,
    changes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    dismissed_at TIMESTAMP
);
CREATE INDEX schedule_notices_by_user ON schedule_notices(user_id, dismissed_at);
