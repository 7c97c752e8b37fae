-- Settings an administrator edits at run time (the deadline rules), as
-- JSON, overriding the configuration file's defaults.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
