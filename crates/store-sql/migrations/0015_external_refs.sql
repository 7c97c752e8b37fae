-- Day one at a real centre: an order's number in the system it was imported
-- from (a legacy export's numbers rarely look like ours). Unique per source;
-- orders of our own have neither column, and NULLs never collide.
ALTER TABLE work_orders ADD COLUMN external_source TEXT;
ALTER TABLE work_orders ADD COLUMN external_number TEXT;
CREATE UNIQUE INDEX work_orders_external ON work_orders (external_source, external_number);
