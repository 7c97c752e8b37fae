-- Work one node at a time does for all (the emergency catch-up, the hot
-- topics' surge pass): held by one node until `until`, renewed while it
-- runs, taken over by another once it lapses.
CREATE TABLE leases (
    name TEXT PRIMARY KEY,
    holder BIGINT NOT NULL,
    until BIGINT NOT NULL
);
