-- The marketplace snapshot tables the default AMONITION aggregation reads (the demo, tests and benchmarks
-- create them; a real site points the query at its own snapshot).
CREATE TABLE IF NOT EXISTS marketplace_sellers (
    id             TEXT COLLATE "C" PRIMARY KEY,
    phone          TEXT,
    email          TEXT,
    name           TEXT,
    sale_address   TEXT,
    first_visit_at TIMESTAMPTZ
);
CREATE TABLE IF NOT EXISTS marketplace_listings (
    id         BIGSERIAL PRIMARY KEY,
    seller_id  TEXT COLLATE "C" NOT NULL,
    status     TEXT NOT NULL,
    source     TEXT NOT NULL,
    condition  TEXT NOT NULL,
    category   TEXT,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS marketplace_listings_seller ON marketplace_listings (seller_id);
