-- Where each consultant's SIP phone registered: its Contact, the address
-- requests to it go to, and the Path of proxies it registered through
-- (RFC 3327; one Route per line, nearest first). Kept beside the gateway's
-- memory so that a node taking the call centre over, or one restarting,
-- rings the phones at once instead of waiting for each to register again.
CREATE TABLE phone_bindings (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    contact TEXT NOT NULL,
    destination TEXT NOT NULL,
    path TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
