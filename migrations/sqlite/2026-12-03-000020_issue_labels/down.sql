DROP INDEX issue_links_by_iid;
ALTER TABLE gitlab_issues DROP COLUMN milestone_added_at;
ALTER TABLE gitlab_issues DROP COLUMN milestone_starts_at;
ALTER TABLE gitlab_issues DROP COLUMN milestone_id;
DROP TABLE gitlab_issue_labels;
