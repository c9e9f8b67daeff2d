-- Labels in Baton: each cached issue's labels one to a row (in lower case,
-- as GitLab keeps a project's label names unique regardless of case), so
-- that handoff lists filter by label in the database; and when the issue
-- was added to its milestone, with the milestone's id and start, for the
-- "added to WoW after the week started" hint. A cache, like gitlab_issues.
CREATE TABLE gitlab_issue_labels (
    project TEXT COLLATE "C" NOT NULL,
    iid BIGINT NOT NULL,
    label TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (project, iid, label)
);
CREATE INDEX gitlab_issue_labels_by_label ON gitlab_issue_labels(label);
INSERT INTO gitlab_issue_labels (project, iid, label)
    SELECT DISTINCT i.project, i.iid, lower(l.value)
    FROM gitlab_issues i, jsonb_array_elements_text(i.labels::jsonb) AS l(value);
CREATE TRIGGER baton_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON gitlab_issue_labels
    FOR EACH STATEMENT EXECUTE FUNCTION baton_changed();

ALTER TABLE gitlab_issues ADD COLUMN milestone_id BIGINT;
ALTER TABLE gitlab_issues ADD COLUMN milestone_starts_at TIMESTAMP;
ALTER TABLE gitlab_issues ADD COLUMN milestone_added_at TIMESTAMP;

-- Links to the issues a filter matches, found by number (see handoffs::list).
CREATE INDEX issue_links_by_iid ON issue_links(iid);
