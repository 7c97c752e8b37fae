-- Trained suggestion models kept in the database, so that every node
-- sharing it serves the newest (a node's own directory is used on SQLite,
-- where one node is alone). Versions sort by name, the training time first.
CREATE TABLE models (
    version TEXT PRIMARY KEY,
    bytes BYTEA NOT NULL,
    stored_at BIGINT NOT NULL
);
