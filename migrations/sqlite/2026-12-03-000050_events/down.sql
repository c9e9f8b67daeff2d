DROP TABLE event_issues;
DROP TABLE events;
