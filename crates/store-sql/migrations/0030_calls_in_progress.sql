-- Calls the call centre's owner is carrying: written when a call arrives,
-- deleted with its record when it ends. A node taking the call centre over
-- finds here the calls that were on a node that stopped, marks them lost
-- (`lost_at`, by `lost_by`) and keeps them as the evidence of the failover.
CREATE TABLE calls_in_progress (
    call_id BIGINT PRIMARY KEY,
    node BIGINT NOT NULL,
    queue TEXT NOT NULL,
    caller TEXT NOT NULL,
    arrived_at BIGINT NOT NULL,
    lost_at BIGINT,
    lost_by BIGINT
);
CREATE INDEX calls_in_progress_lost ON calls_in_progress (lost_at);
