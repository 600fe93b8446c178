-- Which process runs a job, and when it last said it was alive: a `running`
-- row whose worker stopped heartbeating is closed as `interrupted`.
ALTER TABLE job_runs ADD COLUMN worker_id TEXT;
ALTER TABLE job_runs ADD COLUMN heartbeat_at TEXT;
