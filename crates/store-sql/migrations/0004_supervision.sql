-- Electronic supervision: evaluation flags on orders, durable deadline
-- timers, the alerts they raise and their deliveries. Same conventions as 0001.

-- Whether the order was returned (退单) / redone (重办) at least once, as
-- columns so evaluation counts them in SQL. Rows written before this
-- migration are filled from the counters JSON, whose field order serde fixes.
ALTER TABLE work_orders ADD COLUMN returned BIGINT NOT NULL DEFAULT 0;
ALTER TABLE work_orders ADD COLUMN redone BIGINT NOT NULL DEFAULT 0;
UPDATE work_orders SET returned = 1 WHERE counters NOT LIKE '{"returns":0,%';
UPDATE work_orders SET redone = 1 WHERE counters NOT LIKE '%"redos":0,%';
