-- The fencing number of the lock lease the latest attempt of a run held (see the PostgreSQL and SQLite
-- migrations 20261206000101); NULL when the run took no lock.
ALTER TABLE processes ADD COLUMN fence BIGINT NULL;
