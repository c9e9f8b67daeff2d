DROP TABLE rotation_plans;
DROP TABLE rotations;
