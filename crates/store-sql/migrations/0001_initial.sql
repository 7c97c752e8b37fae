-- One schema for SQLite and PostgreSQL. Only types both understand through
-- sqlx's Any driver: BIGINT (ids, flags 0/1, instants as microseconds since
-- the Unix epoch), DOUBLE PRECISION, TEXT (JSON as text).

CREATE TABLE units (
    id BIGINT PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    parent_id BIGINT REFERENCES units (id),
    active BIGINT NOT NULL
);

CREATE TABLE hotlines (
    id BIGINT PRIMARY KEY,
    unit_id BIGINT NOT NULL REFERENCES units (id),
    number TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    mode TEXT NOT NULL
);

CREATE TABLE categories (
    id BIGINT PRIMARY KEY,
    parent_id BIGINT REFERENCES categories (id),
    level BIGINT NOT NULL,
    name TEXT NOT NULL,
    active BIGINT NOT NULL
);
CREATE UNIQUE INDEX categories_sibling_names ON categories (COALESCE(parent_id, 0), name);

CREATE TABLE dispatch_catalogue (
    id BIGINT PRIMARY KEY,
    category_id BIGINT NOT NULL REFERENCES categories (id),
    -- NULL with territorial = 1: the town where the matter is.
    unit_id BIGINT REFERENCES units (id),
    territorial BIGINT NOT NULL,
    co_handler BIGINT NOT NULL
);

CREATE TABLE users (
    id BIGINT PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    -- NULL: a user of the centre.
    unit_id BIGINT REFERENCES units (id),
    roles TEXT NOT NULL,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE calendar_days (
    day TEXT PRIMARY KEY,
    working BIGINT NOT NULL,
    name TEXT NOT NULL
);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE work_orders (
    id BIGINT PRIMARY KEY,
    number TEXT NOT NULL UNIQUE,
    channel TEXT NOT NULL,
    order_type TEXT NOT NULL,
    category_id BIGINT NOT NULL,
    urgency TEXT NOT NULL,
    caller_name TEXT,
    caller_phone TEXT,
    caller_anonymous BIGINT NOT NULL,
    caller_confidential BIGINT NOT NULL,
    town_id BIGINT,
    address TEXT,
    latitude DOUBLE PRECISION,
    longitude DOUBLE PRECISION,
    subject TEXT NOT NULL,
    description TEXT NOT NULL,
    call_id TEXT,
    lead_unit_id BIGINT,
    assignee_unit_id BIGINT,
    co_units TEXT NOT NULL,
    state TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_by BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sign_for_due BIGINT,
    completion_due BIGINT NOT NULL,
    follow_up_due BIGINT,
    dispatched_at BIGINT,
    signed_at BIGINT,
    resolved_at BIGINT,
    closed_at BIGINT,
    direct_answer TEXT,
    pending_return TEXT,
    pending_extension TEXT,
    extension_requested BIGINT NOT NULL,
    result TEXT,
    follow_up TEXT,
    satisfaction TEXT,
    solved BIGINT,
    invalidation TEXT,
    merged_into BIGINT,
    counters TEXT NOT NULL
);
CREATE INDEX work_orders_state ON work_orders (state, id);
CREATE INDEX work_orders_lead ON work_orders (lead_unit_id, id);
CREATE INDEX work_orders_town ON work_orders (town_id, id);
CREATE INDEX work_orders_category ON work_orders (category_id, id);
CREATE INDEX work_orders_created ON work_orders (created_at);
CREATE INDEX work_orders_open_due ON work_orders (completion_due) WHERE resolved_at IS NULL;
CREATE INDEX work_orders_extensions ON work_orders (id) WHERE extension_requested = 1;

-- Every unit that holds or held an order; `active` while the order waits on it.
CREATE TABLE order_units (
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    unit_id BIGINT NOT NULL,
    role TEXT NOT NULL,
    active BIGINT NOT NULL,
    PRIMARY KEY (order_id, unit_id, role)
);
CREATE INDEX order_units_pending ON order_units (unit_id, active, order_id);

CREATE TABLE order_history (
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    -- 1, 2, 3 … within the order.
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    actor_id BIGINT NOT NULL,
    actor_unit_id BIGINT,
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (order_id, seq)
);

CREATE TABLE supervision_notices (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    unit_id BIGINT NOT NULL,
    issued_by BIGINT NOT NULL,
    issued_at BIGINT NOT NULL,
    due_at BIGINT NOT NULL,
    text TEXT NOT NULL,
    answered_by BIGINT,
    answered_at BIGINT,
    answer TEXT
);
CREATE INDEX supervision_notices_order ON supervision_notices (order_id);
CREATE INDEX supervision_notices_open ON supervision_notices (due_at) WHERE answered_at IS NULL;

CREATE TABLE attachments (
    id BIGINT PRIMARY KEY,
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    sha256 TEXT NOT NULL,
    file_name TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_by BIGINT NOT NULL,
    uploaded_at BIGINT NOT NULL
);
CREATE INDEX attachments_order ON attachments (order_id);

CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    order_id BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, key)
);

-- Append-only. seq and hash are set once, when the record is sealed onto the chain.
CREATE TABLE audit_log (
    id BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    actor_id BIGINT,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL,
    seq BIGINT UNIQUE,
    hash TEXT
);
CREATE INDEX audit_log_unsealed ON audit_log (id) WHERE seq IS NULL;

CREATE TABLE audit_chain_head (
    id BIGINT PRIMARY KEY,
    seq BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_chain_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
