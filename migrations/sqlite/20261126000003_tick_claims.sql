-- One row per scheduled tick of a job that a worker claimed. The primary key
-- lets exactly one of several `serve` replicas run a tick; the lease, kept
-- alive while the run goes on, lets another take the tick over when the
-- holder dies before finishing it.
CREATE TABLE tick_claims (
    job          TEXT NOT NULL,
    tick_at      TEXT NOT NULL,
    holder       TEXT NOT NULL,
    lease_until  TEXT NOT NULL,
    finished_at  TEXT,
    PRIMARY KEY (job, tick_at)
);
