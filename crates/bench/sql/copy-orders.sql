-- Grows a seeded database fiftyfold for the partitioning figures in
-- docs/benchmarks.md ("Tables partitioned by month"): the orders and their
-- history are copied 49 times, each copy under ids a minute earlier (ids
-- are time-ordered; the demo's seeding takes well under a minute) and
-- numbers with two digits more (still valid order numbers). Run with psql on a database seeded by
-- `hotline demo --seed-only --orders 20000` (1,000,000 orders after);
-- `-v copies=N` copies N times instead.
\if :{?copies}
\else
\set copies 49
\endif
SELECT set_config('hotline.copies', :'copies', false);
CREATE TEMP TABLE w AS SELECT * FROM work_orders;
CREATE TEMP TABLE h AS SELECT * FROM order_history;
DO $$ BEGIN FOR k IN 1..current_setting('hotline.copies')::int LOOP
  UPDATE w SET id = id - (60000::bigint << 22), number = substr(number, 1, 16) || lpad(k::text, 2, '0');
  UPDATE h SET order_id = order_id - (60000::bigint << 22);
  INSERT INTO work_orders SELECT * FROM w;
  INSERT INTO order_history SELECT * FROM h;
END LOOP; END $$;
ANALYZE;
