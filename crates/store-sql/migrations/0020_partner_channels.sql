-- Partners' systems (city apps, mini-programs, departments' own case
-- systems) reach the centre through Open311 GeoReport v2 with an API key
-- each (issue 19). Only a hash of the secret is kept: a key shown once is
-- the only copy. `source` names the partner in the external reference of
-- the orders it submits, so "its own submissions" is the index
-- work_orders_external already holds.
CREATE TABLE api_keys (
    id BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    source TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    hint TEXT NOT NULL,
    scopes TEXT NOT NULL,
    unit_id BIGINT,
    per_minute BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    created_by BIGINT,
    rotated_at BIGINT,
    revoked_at BIGINT
);
CREATE UNIQUE INDEX api_keys_source ON api_keys (source);
CREATE UNIQUE INDEX api_keys_secret ON api_keys (secret_hash);

-- A partner reads what it submitted newest first within a time window
-- (Open311 GET requests): one range of this index, already in order.
CREATE INDEX work_orders_source ON work_orders (external_source, created_at, id) WHERE external_source IS NOT NULL;

-- A link to the citizen's photo or video on the partner's side (Open311
-- media_url): shown to whoever handles the order, never fetched by the server.
ALTER TABLE work_orders ADD COLUMN media_url TEXT;
