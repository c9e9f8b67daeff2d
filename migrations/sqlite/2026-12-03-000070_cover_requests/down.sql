DROP TABLE schedule_notices;
DROP TABLE cover_requests;
