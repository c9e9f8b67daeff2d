DROP TABLE signin_attempts;
