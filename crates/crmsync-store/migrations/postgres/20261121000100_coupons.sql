-- Generated discount coupons (seed 003): one row per code, linked to the run that generated it (PostgreSQL).

CREATE TABLE coupons (
    id          BIGSERIAL   PRIMARY KEY,
    code        TEXT        COLLATE "C" NOT NULL,
    discount_id BIGINT      NOT NULL CHECK (discount_id > 0),
    coupon_type TEXT        NOT NULL CHECK (coupon_type IN ('basket_row', 'one_order', 'multi_order')),
    active      BOOLEAN     NOT NULL DEFAULT TRUE,
    active_from TIMESTAMPTZ,
    active_to   TIMESTAMPTZ,
    max_uses    BIGINT      CHECK (max_uses > 0),
    user_id     BIGINT      CHECK (user_id > 0),
    description TEXT,
    -- The generating run (`processes.id`); not a foreign key: a per-row reference check costs a third of the
    -- bulk insert time, and runs are never deleted.
    process_id  BIGINT,
    created_at  TIMESTAMPTZ NOT NULL,
    -- Codes are case-sensitive: `Ab1` and `AB1` are two coupons (mixed-case templates rely on it). Byte order
    -- (`C`) keeps the unique index cheap and the same whatever the database's locale.
    CONSTRAINT coupons_code_unique UNIQUE (code),
    CONSTRAINT coupons_window CHECK (active_from IS NULL OR active_to IS NULL OR active_from < active_to)
);
-- Export and counts of one run, in generation order.
CREATE INDEX coupons_by_process ON coupons (process_id, id);
