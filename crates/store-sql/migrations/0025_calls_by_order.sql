-- Evaluation reads the keypad rating of the call linked to a directly
-- answered order (calls.order_id).
CREATE INDEX calls_order ON calls (order_id) WHERE order_id IS NOT NULL;
