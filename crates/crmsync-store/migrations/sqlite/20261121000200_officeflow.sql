-- The organisation synced from the office platform by officeflow-sync (SQLite): departments, local positions
-- with the history of the platform ids mapped to them, position–department–user rows, tag groups, tags, tag
-- users, per-platform user OpenIDs and the sync's watermarks. Timestamps are fixed-width RFC 3339 UTC text.

CREATE TABLE officeflow_departments (
    id         TEXT PRIMARY KEY,
    name       TEXT    NOT NULL,
    parent_id  TEXT,
    sort_order INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE officeflow_positions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    name       TEXT    NOT NULL,
    enabled    INTEGER NOT NULL CHECK (enabled IN (0, 1)),
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);

CREATE TABLE officeflow_position_remote_ids (
    remote_id   TEXT PRIMARY KEY,
    position_id INTEGER NOT NULL REFERENCES officeflow_positions (id),
    mapped_at   TEXT    NOT NULL
);
CREATE INDEX officeflow_position_remote_ids_by_position ON officeflow_position_remote_ids (position_id);

CREATE TABLE officeflow_position_history (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    position_id INTEGER NOT NULL REFERENCES officeflow_positions (id),
    remote_id   TEXT,
    event       TEXT    NOT NULL CHECK (event IN ('added', 'renamed', 'disabled', 'enabled', 'remapped')),
    name        TEXT    NOT NULL,
    at          TEXT    NOT NULL
);
CREATE INDEX officeflow_position_history_by_position ON officeflow_position_history (position_id, id);

CREATE TABLE officeflow_position_members (
    position_id   INTEGER NOT NULL REFERENCES officeflow_positions (id),
    department_id TEXT    NOT NULL,
    username      TEXT    NOT NULL,
    PRIMARY KEY (position_id, department_id, username)
) WITHOUT ROWID;
CREATE INDEX officeflow_position_members_by_user ON officeflow_position_members (username);

CREATE TABLE officeflow_tag_groups (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

CREATE TABLE officeflow_tags (
    id       TEXT PRIMARY KEY,
    group_id TEXT,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('static', 'dynamic')),
    rule     TEXT,
    CHECK ((kind = 'dynamic') = (rule IS NOT NULL))
);

CREATE TABLE officeflow_tag_members (
    tag_id   TEXT NOT NULL REFERENCES officeflow_tags (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    PRIMARY KEY (tag_id, username)
) WITHOUT ROWID;
CREATE INDEX officeflow_tag_members_by_user ON officeflow_tag_members (username);

CREATE TABLE officeflow_user_openids (
    platform TEXT NOT NULL,
    openid   TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (platform, openid)
) WITHOUT ROWID;
CREATE INDEX officeflow_user_openids_by_user ON officeflow_user_openids (platform, username);

-- Claims on an OpenID that lost to another claimant (the OpenID is bound to someone else, or to nobody while
-- the conflict lasts); kept so an incremental run still sees every claimant of a conflicting OpenID.
CREATE TABLE officeflow_openid_conflicts (
    platform TEXT NOT NULL,
    openid   TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (platform, openid, username)
) WITHOUT ROWID;

CREATE TABLE officeflow_sync_marks (
    key        TEXT PRIMARY KEY,
    value      INTEGER NOT NULL,
    updated_at TEXT    NOT NULL
);
