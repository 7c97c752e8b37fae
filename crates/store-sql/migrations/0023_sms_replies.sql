-- Texts, continued (issue 19). The citizen's wish for no texts is kept
-- with the order, so the closure and follow-up texts respect it as the
-- registration notice did. Texts citizens send to the hotline are kept
-- with what became of them; the gateway's id recognises a delivery the
-- gateway retried.
ALTER TABLE work_orders ADD COLUMN caller_sms_opt_out BIGINT NOT NULL DEFAULT 0;
-- The gateway's id for a text (SMPP's message id), which its receipts name.
ALTER TABLE sms_messages ADD COLUMN gateway_ref TEXT;
CREATE INDEX sms_messages_reference ON sms_messages (gateway_ref) WHERE gateway_ref IS NOT NULL;
-- The follow-up text a reply answers is the newest one sent to its phone.
CREATE INDEX sms_messages_phone ON sms_messages (phone, event, created_at);
CREATE TABLE sms_incoming (
    id BIGINT PRIMARY KEY,
    gateway_id TEXT NOT NULL UNIQUE,
    phone TEXT NOT NULL,
    to_number TEXT NOT NULL,
    text TEXT NOT NULL,
    outcome TEXT NOT NULL,
    order_id BIGINT,
    number TEXT,
    rating TEXT,
    reason TEXT,
    received_at BIGINT NOT NULL
);
CREATE INDEX sms_incoming_received ON sms_incoming (received_at, id);
