-- The call centre: finished calls, agents' status changes, callback tasks
-- and consultants' records. Same conventions as 0001.

CREATE TABLE calls (
    id BIGINT PRIMARY KEY,
    queue TEXT NOT NULL,
    caller TEXT NOT NULL,
    agent_id BIGINT,
    arrived_at BIGINT NOT NULL,
    answered_at BIGINT,
    ended_at BIGINT NOT NULL,
    outcome TEXT NOT NULL,
    transfer_to TEXT,
    transfer_result TEXT,
    wrap_up_secs BIGINT NOT NULL,
    order_id BIGINT
);
CREATE INDEX calls_arrived ON calls (arrived_at);

CREATE TABLE agent_status_log (
    agent_id BIGINT NOT NULL,
    at BIGINT NOT NULL,
    status TEXT NOT NULL,
    reason TEXT
);
CREATE INDEX agent_status_log_at ON agent_status_log (at);

CREATE TABLE callbacks (
    call_id BIGINT PRIMARY KEY,
    caller TEXT NOT NULL,
    queue TEXT NOT NULL,
    outcome TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    done_at BIGINT,
    done_by BIGINT,
    note TEXT
);
CREATE INDEX callbacks_open ON callbacks (created_at) WHERE done_at IS NULL;

-- The screen pop looks orders up by the caller's number.
CREATE INDEX work_orders_caller_phone ON work_orders (caller_phone, id);

CREATE TABLE consultant_trainings (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    skill TEXT,
    course TEXT NOT NULL,
    completed_on TEXT NOT NULL,
    passed BIGINT NOT NULL
);
CREATE INDEX consultant_trainings_user ON consultant_trainings (user_id);

CREATE TABLE consultant_certifications (
    id BIGINT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    skill TEXT NOT NULL,
    level BIGINT NOT NULL,
    certified_on TEXT NOT NULL,
    expires_on TEXT
);
CREATE INDEX consultant_certifications_user ON consultant_certifications (user_id);

CREATE TABLE consultant_mentors (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    mentor_id BIGINT NOT NULL REFERENCES users (id)
);
