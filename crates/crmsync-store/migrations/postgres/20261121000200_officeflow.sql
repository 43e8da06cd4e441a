-- The organisation synced from the office platform by officeflow-sync (PostgreSQL): departments, local
-- positions with the history of the platform ids mapped to them, position–department–user rows, tag groups,
-- tags, tag users, per-platform user OpenIDs and the sync's watermarks.

CREATE TABLE officeflow_departments (
    id         TEXT PRIMARY KEY,
    name       TEXT   NOT NULL,
    parent_id  TEXT,
    sort_order BIGINT NOT NULL DEFAULT 0
);

-- Local positions: the id never changes; a position the platform stops listing is disabled, never deleted.
CREATE TABLE officeflow_positions (
    id         BIGSERIAL PRIMARY KEY,
    name       TEXT        NOT NULL,
    enabled    BOOLEAN     NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

-- Every platform id ever mapped to a local position (several when the platform re-created a position).
CREATE TABLE officeflow_position_remote_ids (
    remote_id   TEXT PRIMARY KEY,
    position_id BIGINT      NOT NULL REFERENCES officeflow_positions (id),
    mapped_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX officeflow_position_remote_ids_by_position ON officeflow_position_remote_ids (position_id);

-- What happened to each local position: added, renamed, disabled, enabled, remapped.
CREATE TABLE officeflow_position_history (
    id          BIGSERIAL PRIMARY KEY,
    position_id BIGINT      NOT NULL REFERENCES officeflow_positions (id),
    remote_id   TEXT,
    event       TEXT        NOT NULL CHECK (event IN ('added', 'renamed', 'disabled', 'enabled', 'remapped')),
    name        TEXT        NOT NULL,
    at          TIMESTAMPTZ NOT NULL
);
CREATE INDEX officeflow_position_history_by_position ON officeflow_position_history (position_id, id);

-- Who holds which local position in which department.
CREATE TABLE officeflow_position_members (
    position_id   BIGINT NOT NULL REFERENCES officeflow_positions (id),
    department_id TEXT   NOT NULL,
    username      TEXT   NOT NULL,
    PRIMARY KEY (position_id, department_id, username)
);
CREATE INDEX officeflow_position_members_by_user ON officeflow_position_members (username);

CREATE TABLE officeflow_tag_groups (
    id   TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

-- Static tags list their members; dynamic tags carry the rule their members were computed from.
CREATE TABLE officeflow_tags (
    id       TEXT PRIMARY KEY,
    group_id TEXT,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL CHECK (kind IN ('static', 'dynamic')),
    rule     JSONB,
    CHECK ((kind = 'dynamic') = (rule IS NOT NULL))
);

CREATE TABLE officeflow_tag_members (
    tag_id   TEXT NOT NULL REFERENCES officeflow_tags (id) ON DELETE CASCADE,
    username TEXT NOT NULL,
    PRIMARY KEY (tag_id, username)
);
CREATE INDEX officeflow_tag_members_by_user ON officeflow_tag_members (username);

-- One OpenID belongs to at most one user per platform.
CREATE TABLE officeflow_user_openids (
    platform TEXT NOT NULL,
    openid   TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (platform, openid)
);
CREATE INDEX officeflow_user_openids_by_user ON officeflow_user_openids (platform, username);

-- Claims on an OpenID that lost to another claimant (the OpenID is bound to someone else, or to nobody while
-- the conflict lasts); kept so an incremental run still sees every claimant of a conflicting OpenID.
CREATE TABLE officeflow_openid_conflicts (
    platform TEXT NOT NULL,
    openid   TEXT NOT NULL,
    username TEXT NOT NULL,
    PRIMARY KEY (platform, openid, username)
);

-- Watermarks (last change time seen per listing) and fingerprints the incremental sync compares against.
CREATE TABLE officeflow_sync_marks (
    key        TEXT PRIMARY KEY,
    value      BIGINT      NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
