-- Texts to citizens (issue 19): queued in the transaction of what they
-- tell, sent through the SMS gateway, followed by the operator's
-- receipts. The full number is kept for the gateway; screens mask it.
-- `next_at` is NULL once the gateway took the text or it was given up.
CREATE TABLE sms_messages (
    id BIGINT PRIMARY KEY,
    order_id BIGINT,
    number TEXT,
    phone TEXT NOT NULL,
    event TEXT NOT NULL,
    text TEXT NOT NULL,
    segments BIGINT NOT NULL,
    state TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_at BIGINT,
    sent_at BIGINT,
    delivered_at BIGINT,
    receipt TEXT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX sms_messages_due ON sms_messages (next_at) WHERE next_at IS NOT NULL;
CREATE INDEX sms_messages_order ON sms_messages (order_id) WHERE order_id IS NOT NULL;
CREATE INDEX sms_messages_created ON sms_messages (created_at, id);
