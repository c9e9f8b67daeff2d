-- Rotations (issue 14): a role's members and rhythm. A rotation is a list
-- of plans, each in force from an instant on, so that a change never
-- rewrites what was in force before it. Members are user ids in order,
-- separated by commas. Shifts are derived from the plans when asked for,
-- never stored.
CREATE TABLE rotations (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    role TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX rotations_by_role ON rotations(role);

CREATE TABLE rotation_plans (
    id TEXT COLLATE "C" PRIMARY KEY NOT NULL,
    rotation_id TEXT COLLATE "C" NOT NULL REFERENCES rotations(id) ON DELETE CASCADE,
    effective_from TIMESTAMP NOT NULL,
    starts_at TIMESTAMP NOT NULL,
    rhythm TEXT NOT NULL,
    members TEXT COLLATE "C" NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX rotation_plans_by_rotation ON rotation_plans(rotation_id, effective_from);

CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rotations
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON rotation_plans
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();
