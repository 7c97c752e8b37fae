-- A registration's screening (and the catch-up pass that screens again)
-- reads the linkage alerts already raised for the order.
CREATE INDEX alerts_order ON alerts (order_id, watched);
