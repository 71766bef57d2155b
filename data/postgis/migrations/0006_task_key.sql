-- 0006: idempotent runs of distributed workers (issue 14). A worker with
-- --db stores a task's run under the task's key (run/task/input digest):
-- a task delivered twice finds its run stored and writes nothing more.
-- NULL for runs saved from the command line or the server.

ALTER TABLE lifecircle.runs ADD COLUMN task_key text;
CREATE UNIQUE INDEX runs_task_key ON lifecircle.runs (task_key) WHERE task_key IS NOT NULL;
