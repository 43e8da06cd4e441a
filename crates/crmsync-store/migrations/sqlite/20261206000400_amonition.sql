-- AMONITION (the marketplace's amoCRM service): seller ↔ company links and the uploader's create intents
-- (SQLite; the webhook inbox lives on PostgreSQL or in memory).

CREATE TABLE companies (
    company_id TEXT NOT NULL,
    seller_id  TEXT NOT NULL PRIMARY KEY
) WITHOUT ROWID;
CREATE INDEX companies_idx ON companies (company_id);

CREATE TABLE amonition_intents (
    seller_id  TEXT    NOT NULL PRIMARY KEY,
    process_id INTEGER NOT NULL,
    created_at TEXT    NOT NULL
) WITHOUT ROWID;
