-- The surge check asks whether any of a few orders (or a category) named a
-- surge warning of the town in the last window; with the subject in the
-- index it reads those entries alone, not every surge warning of the town.
CREATE INDEX alerts_surge ON alerts (unit_id, watched, subject, raised_at);

-- The emergency catch-up walks registrations by (created_at, id); with the
-- instant alone each batch read and sorted every later registration.
CREATE INDEX work_orders_created_id ON work_orders (created_at, id);
DROP INDEX work_orders_created;
