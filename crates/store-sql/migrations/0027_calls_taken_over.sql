-- The supervisor who took a call over from its consultant (接管, issue 20):
-- the consultant stays the call's agent (they answered it), the supervisor
-- talked with the caller from then to its end. NULL: nobody took it over.
ALTER TABLE calls ADD COLUMN taken_over_by BIGINT;
