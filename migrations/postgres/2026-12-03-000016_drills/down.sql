DROP TABLE drills;
