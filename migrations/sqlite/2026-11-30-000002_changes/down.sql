-- PostgreSQL's change of this name adds triggers that notify Baton's
-- instances of every commit. SQLite needs none: each connection reads
-- PRAGMA data_version. The folder keeps the two migration lists in step.
SELECT 1;
