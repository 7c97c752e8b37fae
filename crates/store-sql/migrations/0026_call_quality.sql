-- How each call sounded (issue 20): what the server received from each
-- side, measured by the SIP gateway's media relay when the call ended.
-- The score is kept (hundredths of a MOS) so poor calls can be found and
-- averaged without recomputing the E-model in SQL; NULL where nobody's
-- audio was measured (simulated calls, calls before this migration).
ALTER TABLE calls ADD COLUMN caller_packets BIGINT;
ALTER TABLE calls ADD COLUMN caller_lost BIGINT;
ALTER TABLE calls ADD COLUMN caller_jitter_us BIGINT;
ALTER TABLE calls ADD COLUMN consultant_packets BIGINT;
ALTER TABLE calls ADD COLUMN consultant_lost BIGINT;
ALTER TABLE calls ADD COLUMN consultant_jitter_us BIGINT;
ALTER TABLE calls ADD COLUMN mos_centi BIGINT;
