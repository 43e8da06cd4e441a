-- Process instances (the platform's AppSession) and their task history (TaskHistory), synced by the processes
-- part of officeflow-sync (PostgreSQL). Times are milliseconds since the Unix epoch, as the platform gives them.
-- `closed_by` says what ended an instance or closed a task: `listed`, `event:<id>`, `node:<id>` (another task of
-- its node was aborted or reverted), `end` (its instance ended while it was open).

CREATE TABLE app_session (
    id           TEXT    PRIMARY KEY,
    category     TEXT    NOT NULL,
    flow_key     TEXT    NOT NULL,
    status       TEXT    NOT NULL
        CHECK (status IN ('running', 'completed', 'terminated', 'cancelled', 'rejected')),
    creator      TEXT    NOT NULL,
    agent        TEXT,
    anonymous    BOOLEAN NOT NULL,
    participants JSONB   NOT NULL,
    parent_id    TEXT,
    parent_node  TEXT,
    form         JSONB   NOT NULL,
    started_at   BIGINT  NOT NULL,
    ended_at     BIGINT,
    closed_by    TEXT,
    updated_at   BIGINT  NOT NULL,
    CHECK ((status = 'running') = (ended_at IS NULL))
);
-- The seed's recommended indexes: instances by creator and by agent ("my flows"), plus sub-flows by parent.
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
    notified    BOOLEAN NOT NULL,
    status      TEXT    NOT NULL CHECK (status IN ('pending', 'completed', 'aborted', 'reverted')),
    -- The message notice of the task: pending while it is open, handled once completed, ignored otherwise.
    notice      TEXT    CHECK (notice IN ('pending', 'handled', 'ignored')),
    created_at  BIGINT  NOT NULL,
    finished_at BIGINT,
    closed_by   TEXT,
    updated_at  BIGINT  NOT NULL,
    CHECK ((status = 'pending') = (finished_at IS NULL))
);
-- The seed's recommended index: tasks by session, node and status (a session's tasks, a node's open tasks).
CREATE INDEX task_history_by_session_node_status ON task_history (sess_id, node_id, status);
-- Open tasks by assignee (to-do lists); small, as most tasks are closed.
CREATE INDEX task_history_open_by_assignee ON task_history (assignee) WHERE status = 'pending';
