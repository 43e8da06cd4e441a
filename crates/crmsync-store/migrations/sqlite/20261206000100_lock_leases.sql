-- Leases of the lock service (`LockStore`) when no Redis is configured (SQLite).
-- A row is never deleted: releasing or expiring moves `expires_at_ms` into the past, and each new holder takes
-- the largest fence so far plus one (SQLite has no sequences; writes are serialised), so fences grow strictly
-- per key. Times are the database clock in ms since the Unix epoch.
CREATE TABLE lock_leases (
    key           TEXT    PRIMARY KEY,
    token         TEXT    NOT NULL,
    owner         TEXT    NOT NULL,
    fence         INTEGER NOT NULL CHECK (fence > 0),
    expires_at_ms INTEGER NOT NULL
);
CREATE INDEX lock_leases_by_fence ON lock_leases (fence);
