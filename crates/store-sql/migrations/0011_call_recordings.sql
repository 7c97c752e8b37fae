-- A call's recording: the content key in the attachment store (stereo WAV,
-- caller left, centre right) and its length. Written after the call row,
-- when the recording is finished.
ALTER TABLE calls ADD COLUMN recording_sha256 TEXT;
ALTER TABLE calls ADD COLUMN recording_ms BIGINT;
