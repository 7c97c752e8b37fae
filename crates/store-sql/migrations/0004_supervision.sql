-- Electronic supervision: evaluation flags on orders, durable deadline
-- timers, the alerts they raise and their deliveries. Same conventions as 0001.

-- Whether the order was returned (退单) / redone (重办) at least once, as
-- columns so evaluation counts them in SQL. Rows written before this
-- migration are filled from the counters JSON, whose field order serde fixes.
ALTER TABLE work_orders ADD COLUMN returned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE work_orders ADD COLUMN redone BIGINT NOT NULL DEFAULT 0;
UPDATE work_orders SET returned = 1 WHERE counters NOT LIKE '{"returns":0,%';
UPDATE work_orders SET redone = 1 WHERE counters NOT LIKE '%"redos":0,%';

-- When the completion allowance began (registration or the last redo).
ALTER TABLE work_orders ADD COLUMN completion_from BIGINT NOT NULL DEFAULT 0;
UPDATE work_orders SET completion_from = created_at;

-- Deadline timers (see hotline_domain::watch): replaced with the order's
-- current set on every change; a fired timer stays, so it never fires again.
CREATE TABLE deadline_timers (
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    watched TEXT NOT NULL,
    -- The supervision notice watched; 0 for the order's own deadlines.
    subject BIGINT NOT NULL,
    level TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    fire_at BIGINT NOT NULL,
    -- NULL: the step is the centre's.
    unit_id BIGINT,
    fired_at BIGINT,
    PRIMARY KEY (order_id, watched, subject, level, due_at)
);
CREATE INDEX deadline_timers_pending ON deadline_timers (fire_at) WHERE fired_at IS NULL;

-- What fired timers told: the in-app notices of units and the centre.
CREATE TABLE alerts (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    watched TEXT NOT NULL,
    subject BIGINT NOT NULL,
    level TEXT NOT NULL,
    due_at BIGINT NOT NULL,
    unit_id BIGINT,
    raised_at BIGINT NOT NULL,
    read_at BIGINT,
    read_by BIGINT
);
CREATE INDEX alerts_unit ON alerts (unit_id, id);
CREATE INDEX alerts_raised ON alerts (raised_at);

-- Where a unit (or, with no unit, the centre) wants alerts sent besides the
-- app; leaders' addresses hear only of escalations.
CREATE TABLE contacts (
    id BIGINT PRIMARY KEY,
    -- Checked by the application, like order_units.unit_id.
    unit_id BIGINT,
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    leader BIGINT NOT NULL
);
CREATE INDEX contacts_unit ON contacts (unit_id);

-- The outbox of e-mails and webhook calls, retried until delivered or given up.
CREATE TABLE deliveries (
    id BIGINT PRIMARY KEY,
    alert_id BIGINT NOT NULL REFERENCES alerts (id),
    channel TEXT NOT NULL,
    address TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    delivered_at BIGINT,
    failed_at BIGINT,
    last_error TEXT
);
CREATE INDEX deliveries_pending ON deliveries (next_at) WHERE delivered_at IS NULL AND failed_at IS NULL;

-- Emergency linkage rules (hotline_domain::emergency); the rule as JSON.
CREATE TABLE emergency_rules (
    id BIGINT PRIMARY KEY,
    spec TEXT NOT NULL
);

-- Warnings published to the public portal (预警发布).
CREATE TABLE public_warnings (
    id BIGINT PRIMARY KEY,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    level TEXT NOT NULL,
    town_id BIGINT,
    published_by BIGINT NOT NULL,
    published_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    withdrawn_at BIGINT
);
CREATE INDEX public_warnings_expiry ON public_warnings (expires_at);
-- Recent orders of a town: surge detection by category and by similar text.
CREATE INDEX work_orders_town_recent ON work_orders (town_id, created_at);
