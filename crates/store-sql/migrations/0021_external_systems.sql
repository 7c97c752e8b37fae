-- Units that handle their orders in their own case system (tax 12366, the
-- water company): every change to an order they hold is pushed to the
-- system as a signed webhook, and the system acts back through an API key
-- as the unit's service account (issue 19).
--
-- The signing secret is kept as it is: the server must compute the HMAC.
CREATE TABLE external_systems (
    unit_id BIGINT PRIMARY KEY REFERENCES units (id),
    name TEXT NOT NULL,
    webhook_url TEXT NOT NULL,
    secret TEXT NOT NULL,
    service_user_id BIGINT NOT NULL REFERENCES users (id),
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

-- The outbox: one row per history entry and unit, written in the
-- decision's own transaction, so a change is never lost nor pushed twice.
-- `next_at` is NULL once delivered or given up (dead letter).
CREATE TABLE external_pushes (
    id BIGINT PRIMARY KEY,
    unit_id BIGINT NOT NULL,
    order_id BIGINT NOT NULL,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    body TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT,
    delivered_at BIGINT,
    dead_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX external_pushes_entry ON external_pushes (unit_id, order_id, seq);
CREATE INDEX external_pushes_due ON external_pushes (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX external_pushes_dead ON external_pushes (unit_id, dead_at) WHERE dead_at IS NOT NULL;
