-- Fair figures: a return (退单) counts against the unit that returned the
-- order. Orders keep the units that returned them (counters.returned_by)
-- and order_units holds them under the role 'returned'. Returns made before
-- this migration are credited to the unit of the handler who made them.
INSERT INTO order_units (order_id, unit_id, role, active)
SELECT DISTINCT order_id, actor_unit_id, 'returned', 0 FROM order_history
WHERE action = 'return' AND actor_unit_id IS NOT NULL
ON CONFLICT DO NOTHING;

CREATE INDEX order_units_role ON order_units (role, unit_id);
