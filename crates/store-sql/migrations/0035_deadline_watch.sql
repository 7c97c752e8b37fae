-- One row per watched deadline instead of one per alert level (issue 22):
-- an order's completion date alone was four rows (yellow, red, reminder,
-- escalation), each inserted, indexed and checked against its order with
-- every registration and most decisions, the most written table on
-- PostgreSQL. A row holds each level's time, the most serious level
-- fired (0 none, 1 yellow, 2 red, 3 reminder, 4 escalation) and when the
-- next level above it falls due; `next_at` is NULL once nothing is left to
-- fire or the deadline is no longer the order's.
--
-- `deadline_timers` stays: nodes of the previous release go on writing
-- it during a rolling upgrade. Nodes of this release move its rows here
-- before each deadline scan (`watches::adopt_legacy`), everything stored
-- before the upgrade included, and delete an order's rows there when they
-- decide on it. A later release drops it once no node writes it.
CREATE TABLE deadline_watch (
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    watched TEXT NOT NULL,
    -- The supervision notice or alert watched; 0 for the order's own deadlines.
    subject BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    -- NULL: the step is the centre's.
    unit_id BIGINT,
    yellow_at BIGINT,
    red_at BIGINT,
    reminder_at BIGINT,
    escalation_at BIGINT,
    fired BIGINT NOT NULL DEFAULT 0,
    next_at BIGINT,
    PRIMARY KEY (order_id, watched, subject, due_at)
);
CREATE INDEX deadline_watch_next ON deadline_watch (next_at) WHERE next_at IS NOT NULL;
-- Acknowledging an emergency alert cancels its escalation (`mark_alert_read`).
CREATE INDEX deadline_watch_emergency ON deadline_watch (subject) WHERE watched = 'emergency';
