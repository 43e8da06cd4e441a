-- The run journal, named ordered sets and expiring key-value pairs (PostgreSQL).

-- One row per job run (a Process): what it is, how far it got, how it ended.
CREATE TABLE processes (
    id           BIGSERIAL PRIMARY KEY,
    kind         TEXT        NOT NULL,
    settings     JSONB       NOT NULL,
    status       TEXT        NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'aborted')),
    created_at   TIMESTAMPTZ NOT NULL,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    heartbeat_at TIMESTAMPTZ,
    processed    BIGINT      NOT NULL DEFAULT 0 CHECK (processed >= 0),
    total        BIGINT      CHECK (total >= 0),
    attempts     BIGINT      NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   TEXT,
    message      TEXT,
    checkpoint   JSONB
);
CREATE INDEX processes_by_kind ON processes (kind, id DESC);
-- The sweeper's two questions: which runs stopped heart-beating, which failed runs may be retried.
CREATE INDEX processes_running_by_heartbeat ON processes (heartbeat_at) WHERE status = 'running';
CREATE INDEX processes_failed_by_finish ON processes (finished_at) WHERE status = 'failed';

-- Named sets; `seq` remembers the order members arrived in.
CREATE TABLE set_members (
    set_name TEXT      NOT NULL,
    member   TEXT      NOT NULL,
    seq      BIGSERIAL NOT NULL,
    PRIMARY KEY (set_name, member)
);
CREATE INDEX set_members_in_order ON set_members (set_name, seq);

-- Small values with optional expiry (OAuth tokens, cursors).
CREATE TABLE kv_entries (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    expires_at TIMESTAMPTZ
);
