-- Process instances (the platform's AppSession) and their task history (TaskHistory), synced by the processes
-- part of officeflow-sync (SQLite: JSON kept as text, booleans as 0/1). Times are milliseconds since the Unix
-- epoch. `closed_by` says what ended an instance or closed a task: `listed`, `event:<id>`, `node:<id>`, `end`.

CREATE TABLE app_session (
    id           TEXT    PRIMARY KEY,
    category     TEXT    NOT NULL,
    flow_key     TEXT    NOT NULL,
    status       TEXT    NOT NULL
        CHECK (status IN ('running', 'completed', 'terminated', 'cancelled', 'rejected')),
    creator      TEXT    NOT NULL,
    agent        TEXT,
    anonymous    INTEGER NOT NULL,
    participants TEXT    NOT NULL CHECK (json_valid(participants)),
    parent_id    TEXT,
    parent_node  TEXT,
    form         TEXT    NOT NULL CHECK (json_valid(form)),
    started_at   INTEGER NOT NULL,
    ended_at     INTEGER,
    closed_by    TEXT,
    updated_at   INTEGER NOT NULL,
    CHECK ((status = 'running') = (ended_at IS NULL))
) WITHOUT ROWID;
CREATE INDEX app_session_by_creator ON app_session (creator, started_at);
CREATE INDEX app_session_by_agent ON app_session (agent, started_at) WHERE agent IS NOT NULL;
CREATE INDEX app_session_by_parent ON app_session (parent_id) WHERE parent_id IS NOT NULL;

CREATE TABLE task_history (
    id          TEXT    PRIMARY KEY,
    sess_id     TEXT    NOT NULL,
    node_id     TEXT    NOT NULL,
    node_name   TEXT    NOT NULL,
    task_type   TEXT    NOT NULL CHECK (task_type IN ('approval', 'proxy', 'sub_flow')),
    assignee    TEXT,
    notified    INTEGER NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'completed', 'aborted', 'reverted')),
    notice      TEXT    CHECK (notice IN ('pending', 'handled', 'ignored')),
    created_at  INTEGER NOT NULL,
    finished_at INTEGER,
    closed_by   TEXT,
    updated_at  INTEGER NOT NULL,
    CHECK ((status = 'pending') = (finished_at IS NULL))
) WITHOUT ROWID;
CREATE INDEX task_history_by_session_node_status ON task_history (sess_id, node_id, status);
CREATE INDEX task_history_open_by_assignee ON task_history (assignee) WHERE status = 'pending';
