-- A public reply reaches the portal only when a reviewer decided to publish
-- it at review (result.published); the flag is a column so the portal lists
-- published replies without reading every archived order. Orders reviewed
-- before this migration are not published.
ALTER TABLE work_orders ADD COLUMN published BIGINT NOT NULL DEFAULT 0;
CREATE INDEX work_orders_published ON work_orders (published, state, id);
