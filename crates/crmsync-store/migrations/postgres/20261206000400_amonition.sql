-- AMONITION (the marketplace's amoCRM service): seller ↔ company links, the uploader's create intents and the
-- durable inbox of webhook events (PostgreSQL).

-- Which amoCRM company each seller became; the source document's table, primary key and index.
CREATE TABLE companies (
    company_id TEXT NOT NULL,
    seller_id  TEXT COLLATE "C" NOT NULL,
    CONSTRAINT companies_pkey PRIMARY KEY (seller_id)
);
CREATE INDEX companies_idx ON companies (company_id);

-- Sellers whose companies an upload run is creating; a row lives from before the create request until the link
-- is written, so a rerun after a crash looks those companies up instead of creating them twice.
CREATE TABLE amonition_intents (
    seller_id   TEXT COLLATE "C" PRIMARY KEY,
    process_id  BIGINT      NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- Accepted webhook events, committed before the delivery is acknowledged.
CREATE TABLE webhook_inbox (
    id           BIGSERIAL   PRIMARY KEY,
    dedupe_key   TEXT        NOT NULL,
    kind         TEXT        NOT NULL,
    payload      JSONB       NOT NULL,
    state        TEXT        NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'running', 'done', 'dead')),
    attempts     INTEGER     NOT NULL DEFAULT 0,
    last_error   TEXT,
    received_at  TIMESTAMPTZ NOT NULL,
    available_at TIMESTAMPTZ NOT NULL,
    locked_until TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    CONSTRAINT webhook_inbox_dedupe UNIQUE (dedupe_key)
);
-- Claims: due rows in arrival order.
CREATE INDEX webhook_inbox_due ON webhook_inbox (available_at, id) WHERE state IN ('pending', 'running');
CREATE INDEX webhook_inbox_state ON webhook_inbox (state, id);
