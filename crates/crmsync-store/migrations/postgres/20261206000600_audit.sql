-- The audit of state-changing calls (coupons: API tokens and command-line users), append-only (PostgreSQL).

CREATE TABLE audit_log (
    id         BIGSERIAL   PRIMARY KEY,
    at         TIMESTAMPTZ NOT NULL,
    actor      TEXT        NOT NULL,
    action     TEXT        NOT NULL,
    process_id BIGINT,
    outcome    TEXT        NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
    detail     TEXT
);
CREATE INDEX audit_log_by_process ON audit_log (process_id, id);
