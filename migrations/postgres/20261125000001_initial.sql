-- Times are UTC text in one fixed-width form (2026-11-23T07:00:00.000Z), so
-- they sort in time order; amounts and rates are exact decimal text.

-- The newest version of every deal the source has sent.
CREATE TABLE deals (
    id              TEXT PRIMARY KEY,
    payload         TEXT NOT NULL,
    fingerprint     TEXT NOT NULL,
    modified_time   TEXT,
    first_seen_at   TEXT NOT NULL,
    last_synced_at  TEXT NOT NULL,
    deleted_at      TEXT
);

-- Slowly changing dimension, type 2: a row per change of a tracked field,
-- valid from the record's data time until the next version or deletion.
CREATE TABLE deal_versions (
    deal_id      TEXT NOT NULL,
    version      BIGINT NOT NULL,
    valid_from   TEXT NOT NULL,
    valid_to     TEXT,
    fingerprint  TEXT NOT NULL,
    payload      TEXT NOT NULL,
    recorded_at  TEXT NOT NULL,
    PRIMARY KEY (deal_id, version)
);
CREATE INDEX deal_versions_validity ON deal_versions (valid_from, valid_to);

-- Where each deal source's incremental sync resumes.
CREATE TABLE sync_state (
    source           TEXT PRIMARY KEY,
    cursor_time      TEXT,
    history_from     TEXT,
    last_success_at  TEXT,
    updated_at       TEXT NOT NULL
);

-- Rates per date, as units of the set's base currency (USD) per currency.
CREATE TABLE exchange_rates (
    rates_date     TEXT NOT NULL,
    source         TEXT NOT NULL,
    base_currency  TEXT NOT NULL,
    currency       TEXT NOT NULL,
    rate           TEXT NOT NULL,
    fetched_at     TEXT NOT NULL,
    PRIMARY KEY (rates_date, source, currency)
);

CREATE TABLE job_runs (
    id               TEXT PRIMARY KEY,
    job              TEXT NOT NULL,
    as_of            TEXT NOT NULL,
    trigger_kind     TEXT NOT NULL,
    dry_run          BIGINT NOT NULL,
    started_at       TEXT NOT NULL,
    finished_at      TEXT,
    status           TEXT NOT NULL,
    deals_extracted  BIGINT NOT NULL DEFAULT 0,
    deals_reported   BIGINT NOT NULL DEFAULT 0,
    api_calls        BIGINT NOT NULL DEFAULT 0,
    warnings         BIGINT NOT NULL DEFAULT 0,
    warning_summary  TEXT,
    error            TEXT,
    output_location  TEXT
);
CREATE INDEX job_runs_job_started ON job_runs (job, started_at);

-- Every object a run published.
CREATE TABLE artefacts (
    run_id        TEXT NOT NULL,
    object_key    TEXT NOT NULL,
    file_name     TEXT NOT NULL,
    content_type  TEXT NOT NULL,
    bytes         BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    published_at  TEXT NOT NULL,
    PRIMARY KEY (run_id, object_key)
);

-- One row per email sent for a job's period to one set of recipients.
CREATE TABLE deliveries (
    job           TEXT NOT NULL,
    period        TEXT NOT NULL,
    recipients    TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    message_id    TEXT NOT NULL,
    delivered_at  TEXT NOT NULL,
    PRIMARY KEY (job, period, recipients)
);
