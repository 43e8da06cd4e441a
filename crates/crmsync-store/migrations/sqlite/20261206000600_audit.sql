-- The audit of state-changing calls (coupons: API tokens and command-line users), append-only (SQLite).
-- Timestamps are fixed-width RFC 3339 text in UTC, like the journal's.

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    at         TEXT    NOT NULL,
    actor      TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    process_id INTEGER,
    outcome    TEXT    NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    detail     TEXT
);
CREATE INDEX audit_log_by_process ON audit_log (process_id, id);
