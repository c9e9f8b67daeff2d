DROP TABLE calendar_feeds;
DROP TABLE rotation_plans;
DROP TABLE rotations;
