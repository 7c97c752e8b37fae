-- Each audit record carries a MAC computed by the application with a key
-- kept outside the database, so a row written by anyone else (a forged
-- record the sealer would otherwise chain) is told apart. Records from
-- before this migration have none.
ALTER TABLE audit_log ADD COLUMN mac TEXT;

-- Records sealed up to here may lack a MAC; every later one needs one. The
-- checkpoints sign this boundary too, so raising it is noticed.
ALTER TABLE audit_chain_head ADD COLUMN legacy_until BIGINT NOT NULL DEFAULT 0;
UPDATE audit_chain_head SET legacy_until = seq WHERE id = 1;
