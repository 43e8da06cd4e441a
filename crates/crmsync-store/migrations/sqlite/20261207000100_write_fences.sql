-- The newest fencing number that has written to a fenced set of tables, per scope (the lock key guarding them,
-- e.g. `officeflow:sync`). A fenced write raises it in its own transaction, and is refused when it is already
-- higher: a run whose lease a newer holder took over cannot overwrite what that holder wrote.
CREATE TABLE write_fences (
    scope TEXT   PRIMARY KEY,
    fence BIGINT NOT NULL CHECK (fence > 0)
);
