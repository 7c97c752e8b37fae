-- Every registration writes one entry into each index of work_orders, and
-- every decision that is not a HOT update writes them again. Indexes that
-- almost every order only fills with NULLs or zeros become partial, and one
-- that another covers goes (issue 22: PostgreSQL's time per create).

-- work_orders_created_id (created_at, id) serves every query this one did.
DROP INDEX IF EXISTS work_orders_created;

-- Only orders from another system's export carry an external reference;
-- a lookup by `external_source = $1` implies the predicate on both databases.
DROP INDEX IF EXISTS work_orders_external;
CREATE UNIQUE INDEX work_orders_external ON work_orders (external_source, external_number) WHERE external_source IS NOT NULL;

-- Only orders registered during a call name it.
DROP INDEX IF EXISTS work_orders_call;
CREATE INDEX work_orders_call ON work_orders (call_id) WHERE call_id IS NOT NULL;

-- Only published replies are listed by this flag (`o.published = 1`, a literal).
DROP INDEX IF EXISTS work_orders_published;
CREATE INDEX work_orders_published ON work_orders (state, id) WHERE published = 1;
