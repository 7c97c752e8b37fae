-- When a call's recording was deleted by the retention purge: the record
-- stays and says so.
ALTER TABLE calls ADD COLUMN recording_purged_at BIGINT;
CREATE INDEX calls_recorded ON calls (ended_at) WHERE recording_sha256 IS NOT NULL;
