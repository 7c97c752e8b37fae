-- Day one at a real centre. The emergency linkage rules an order matched at registration, with the
-- urgency they asked for and the partners alerted (JSON, NULL: none).
ALTER TABLE work_orders ADD COLUMN emergency TEXT;

-- The orders of one emergency incident: one alert per partner for every
-- report of one event in one place within the window, each order counted
-- once (the primary key makes screening it again harmless).
CREATE TABLE alert_orders (
    alert_id BIGINT NOT NULL REFERENCES alerts (id),
    order_id BIGINT NOT NULL REFERENCES work_orders (id),
    joined_at BIGINT NOT NULL,
    PRIMARY KEY (alert_id, order_id)
);
CREATE INDEX alert_orders_order ON alert_orders (order_id);

-- A call and the orders registered during it find each other by the
-- order's call id, whichever is written first.
CREATE INDEX work_orders_call ON work_orders (call_id);

-- Every transfer a call tried, in order (JSON); the last stays in
-- transfer_to and transfer_result.
ALTER TABLE calls ADD COLUMN transfers TEXT;
