DROP TABLE job_leases;
DROP TABLE webhook_deliveries;
DROP TABLE gitlab_status;
DROP TABLE gitlab_issues;
