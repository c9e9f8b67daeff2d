DROP TABLE audit_log;
DROP TABLE sessions;
ALTER TABLE api_tokens DROP COLUMN revoked_at;
ALTER TABLE api_tokens DROP COLUMN label;
DROP INDEX users_by_gitlab_id;
ALTER TABLE users DROP COLUMN password_hash;
ALTER TABLE users DROP COLUMN gitlab_id;
