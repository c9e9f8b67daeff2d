ALTER TABLE users DROP COLUMN chat_handle;
DROP TABLE pass_escalations;
DROP TABLE chat_outbox;
