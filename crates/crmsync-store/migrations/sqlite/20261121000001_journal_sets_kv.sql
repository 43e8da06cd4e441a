-- The run journal, named ordered sets and expiring key-value pairs (SQLite).
-- Timestamps are fixed-width RFC 3339 text in UTC (`2026-11-21T10:00:00.000000+00:00`), so they sort as text.

CREATE TABLE processes (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    settings     TEXT    NOT NULL,
    status       TEXT    NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'aborted')),
    created_at   TEXT    NOT NULL,
    started_at   TEXT,
    finished_at  TEXT,
    heartbeat_at TEXT,
    processed    INTEGER NOT NULL DEFAULT 0 CHECK (processed >= 0),
    total        INTEGER CHECK (total >= 0),
    attempts     INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error   TEXT,
    message      TEXT,
    checkpoint   TEXT
);
CREATE INDEX processes_by_kind ON processes (kind, id DESC);
CREATE INDEX processes_by_status_heartbeat ON processes (status, heartbeat_at);

CREATE TABLE set_members (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    set_name TEXT NOT NULL,
    member   TEXT NOT NULL,
    UNIQUE (set_name, member)
);

CREATE TABLE kv_entries (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    expires_at TEXT
);
