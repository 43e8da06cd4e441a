//! The flow store's statements on SQLite: batches unpacked with `json_each`.

use sqlx::Sqlite;

use crate::sql::flow::{FlowSql, instance_columns, task_columns, tree_cte};

/// `json_extract(value, '$.<field>')` of the current `json_each` row.
macro_rules! field {
    ($name:literal) => {
        concat!("json_extract(value, '$.", $name, "')")
    };
}

impl FlowSql for Sqlite {
    const UPSERT_INSTANCES: &'static str = concat!(
        "INSERT INTO app_session (id, category, flow_key, status, creator, agent, anonymous, participants, \
         parent_id, parent_node, form, started_at, ended_at, closed_by, updated_at) SELECT ",
        field!("id"),
        ", ",
        field!("category"),
        ", ",
        field!("flow_key"),
        ", ",
        field!("status"),
        ", ",
        field!("creator"),
        ", ",
        field!("agent"),
        ", ",
        field!("anonymous"),
        ", ",
        field!("participants"),
        ", ",
        field!("parent_id"),
        ", ",
        field!("parent_node"),
        ", ",
        field!("form"),
        ", ",
        field!("started_at"),
        ", ",
        field!("ended_at"),
        ", ",
        field!("closed_by"),
        ", ",
        field!("updated_at"),
        " FROM json_each($1) WHERE true \
         ON CONFLICT (id) DO UPDATE SET category = excluded.category, flow_key = excluded.flow_key, \
         status = excluded.status, creator = excluded.creator, agent = excluded.agent, \
         anonymous = excluded.anonymous, participants = excluded.participants, parent_id = excluded.parent_id, \
         parent_node = excluded.parent_node, form = excluded.form, started_at = excluded.started_at, \
         ended_at = excluded.ended_at, closed_by = excluded.closed_by, updated_at = excluded.updated_at \
         WHERE app_session.category IS NOT excluded.category OR app_session.flow_key IS NOT excluded.flow_key \
         OR app_session.status IS NOT excluded.status OR app_session.creator IS NOT excluded.creator \
         OR app_session.agent IS NOT excluded.agent OR app_session.anonymous IS NOT excluded.anonymous \
         OR app_session.participants IS NOT excluded.participants \
         OR app_session.parent_id IS NOT excluded.parent_id OR app_session.parent_node IS NOT excluded.parent_node \
         OR app_session.form IS NOT excluded.form OR app_session.started_at IS NOT excluded.started_at \
         OR app_session.ended_at IS NOT excluded.ended_at OR app_session.closed_by IS NOT excluded.closed_by \
         OR app_session.updated_at IS NOT excluded.updated_at"
    );

    const UPSERT_TASKS: &'static str = concat!(
        "INSERT INTO task_history (id, sess_id, node_id, node_name, task_type, assignee, notified, status, \
         notice, created_at, finished_at, closed_by, updated_at) SELECT ",
        field!("id"),
        ", ",
        field!("sess_id"),
        ", ",
        field!("node_id"),
        ", ",
        field!("node_name"),
        ", ",
        field!("task_type"),
        ", ",
        field!("assignee"),
        ", ",
        field!("notified"),
        ", ",
        field!("status"),
        ", ",
        field!("notice"),
        ", ",
        field!("created_at"),
        ", ",
        field!("finished_at"),
        ", ",
        field!("closed_by"),
        ", ",
        field!("updated_at"),
        " FROM json_each($1) WHERE true \
         ON CONFLICT (id) DO UPDATE SET sess_id = excluded.sess_id, node_id = excluded.node_id, \
         node_name = excluded.node_name, task_type = excluded.task_type, assignee = excluded.assignee, \
         notified = excluded.notified, status = excluded.status, notice = excluded.notice, \
         created_at = excluded.created_at, finished_at = excluded.finished_at, closed_by = excluded.closed_by, \
         updated_at = excluded.updated_at \
         WHERE task_history.sess_id IS NOT excluded.sess_id OR task_history.node_id IS NOT excluded.node_id \
         OR task_history.node_name IS NOT excluded.node_name OR task_history.task_type IS NOT excluded.task_type \
         OR task_history.assignee IS NOT excluded.assignee OR task_history.notified IS NOT excluded.notified \
         OR task_history.status IS NOT excluded.status OR task_history.notice IS NOT excluded.notice \
         OR task_history.created_at IS NOT excluded.created_at \
         OR task_history.finished_at IS NOT excluded.finished_at \
         OR task_history.closed_by IS NOT excluded.closed_by OR task_history.updated_at IS NOT excluded.updated_at"
    );

    const INSTANCES_IN: &'static str = concat!(
        "SELECT ",
        instance_columns!(""),
        " FROM app_session WHERE id IN (SELECT value FROM json_each($1)) ORDER BY id"
    );

    const TASKS_OF_INSTANCES_IN: &'static str = concat!(
        "SELECT ",
        task_columns!(),
        " FROM task_history WHERE sess_id IN (SELECT value FROM json_each($1)) ORDER BY id"
    );

    const TREE: &'static str = concat!(
        tree_cte!(),
        "SELECT ",
        instance_columns!(""),
        " FROM tree ORDER BY depth, id"
    );

    // Only the table whose index choice depends on its contents (tasks by session); `app_session` is read by
    // primary key and parent, which SQLite picks without statistics. One table per statement, and `ANALYZE`
    // alone would scan every table of the file.
    const ANALYZE: &'static str = "ANALYZE task_history";

    const OF_USER: &'static str = concat!(
        "SELECT ",
        instance_columns!(""),
        " FROM app_session WHERE creator = $1 OR agent = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
    );
}
