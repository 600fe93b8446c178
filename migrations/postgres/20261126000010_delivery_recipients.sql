-- Progress of one delivery, address by address: a send that failed for
-- some recipients is retried for those only. A row of `deliveries` is
-- written once every address of the set has its row here.
CREATE TABLE delivery_recipients (
    job           TEXT NOT NULL,
    period        TEXT NOT NULL,
    recipients    TEXT NOT NULL,
    address       TEXT NOT NULL,
    run_id        TEXT NOT NULL,
    response      TEXT NOT NULL,
    delivered_at  TEXT NOT NULL,
    PRIMARY KEY (job, period, recipients, address)
);
