DROP TABLE chat_handles;
DROP TABLE pass_escalations;
DROP TABLE chat_outbox;
