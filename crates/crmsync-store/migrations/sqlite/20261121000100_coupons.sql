-- Generated discount coupons (seed 003): one row per code, linked to the run that generated it (SQLite).
-- Timestamps are fixed-width RFC 3339 text in UTC, like the journal's.

CREATE TABLE coupons (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    code        TEXT    NOT NULL UNIQUE,
    discount_id INTEGER NOT NULL CHECK (discount_id > 0),
    coupon_type TEXT    NOT NULL CHECK (coupon_type IN ('basket_row', 'one_order', 'multi_order')),
    active      INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    active_from TEXT,
    active_to   TEXT,
    max_uses    INTEGER CHECK (max_uses > 0),
    user_id     INTEGER CHECK (user_id > 0),
    description TEXT,
    process_id  INTEGER, -- the generating run (processes.id); not a foreign key, as on PostgreSQL
    created_at  TEXT    NOT NULL,
    CHECK (active_from IS NULL OR active_to IS NULL OR active_from < active_to)
);
CREATE INDEX coupons_by_process ON coupons (process_id, id);
