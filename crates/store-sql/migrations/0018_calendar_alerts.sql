-- Day one at a real centre: the administrators' alert that next year's
-- holidays are missing. Raised once per year from 1 November (the primary
-- key makes every node's hourly check harmless), acknowledged by an
-- administrator, over once that year's holidays are loaded.
CREATE TABLE calendar_alerts (
    year BIGINT PRIMARY KEY,
    raised_at BIGINT NOT NULL,
    read_at BIGINT,
    read_by BIGINT
);
