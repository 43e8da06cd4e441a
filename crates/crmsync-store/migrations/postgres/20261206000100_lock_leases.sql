-- Leases of the lock service (`LockStore`) when no Redis is configured (PostgreSQL).
-- A row is never deleted: releasing or expiring moves `expires_at_ms` into the past, and each new holder takes
-- the next number of `lock_fences`, so fences grow strictly per key. Times are the database clock in ms since
-- the Unix epoch.
CREATE SEQUENCE lock_fences;

CREATE TABLE lock_leases (
    key           TEXT   PRIMARY KEY,
    token         TEXT   NOT NULL,
    owner         TEXT   NOT NULL,
    fence         BIGINT NOT NULL CHECK (fence > 0),
    expires_at_ms BIGINT NOT NULL
);
