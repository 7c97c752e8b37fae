-- Attempts counted against a limit (failed logins per account and address,
-- per address; phone tails tried per tracked order). One row per key and
-- window, counted with one atomic upsert, so concurrent attempts cannot
-- overshoot the limit and every node shares the count.
CREATE TABLE attempts (
    key TEXT PRIMARY KEY,
    window_start BIGINT NOT NULL,
    count BIGINT NOT NULL
);
CREATE INDEX attempts_window ON attempts (window_start);
