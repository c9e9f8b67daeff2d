-- Break-glass password checks, claimed before the password is verified: a row
-- is an attempt under way or one that failed; a success deletes the rows of
-- its account and address. The limits count rows, so no more checks can run
-- than the limits allow, however many requests arrive at once.
CREATE TABLE signin_attempts (
    id TEXT PRIMARY KEY NOT NULL,
    username TEXT NOT NULL,
    address TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX signin_attempts_by_account ON signin_attempts(username, at);
