//! The flow store's statements on PostgreSQL: batches unpacked with `jsonb_to_recordset`.
//!
//! Reads by a list of ids compare with `= ANY (ARRAY(…))`, not `IN (SELECT …)`: once a prepared statement
//! switches to its generic plan, PostgreSQL plans the `IN` form as a hash semi-join over a sequential scan of
//! the whole table (it cannot see how many ids the JSON holds), while the array form keeps the index scan.

use sqlx::Postgres;

use crate::sql::flow::{FlowSql, instance_columns, task_columns, tree_cte};

impl FlowSql for Postgres {
    const UPSERT_INSTANCES: &'static str = "INSERT INTO app_session AS s (id, category, flow_key, \
         status, creator, agent, anonymous, participants, parent_id, parent_node, form, started_at, ended_at, \
         closed_by, updated_at) \
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, category text, flow_key text, status text, \
         creator text, agent text, anonymous boolean, participants jsonb, parent_id text, parent_node text, \
         form jsonb, started_at bigint, ended_at bigint, closed_by text, updated_at bigint) \
         ON CONFLICT (id) DO UPDATE SET category = EXCLUDED.category, flow_key = EXCLUDED.flow_key, \
         status = EXCLUDED.status, creator = EXCLUDED.creator, agent = EXCLUDED.agent, \
         anonymous = EXCLUDED.anonymous, participants = EXCLUDED.participants, parent_id = EXCLUDED.parent_id, \
         parent_node = EXCLUDED.parent_node, form = EXCLUDED.form, started_at = EXCLUDED.started_at, \
         ended_at = EXCLUDED.ended_at, closed_by = EXCLUDED.closed_by, updated_at = EXCLUDED.updated_at \
         WHERE (s.category, s.flow_key, s.status, s.creator, s.agent, s.anonymous, s.participants, \
         s.parent_id, s.parent_node, s.form, s.started_at, s.ended_at, s.closed_by, s.updated_at) \
         IS DISTINCT FROM (EXCLUDED.category, EXCLUDED.flow_key, EXCLUDED.status, EXCLUDED.creator, \
         EXCLUDED.agent, EXCLUDED.anonymous, EXCLUDED.participants, EXCLUDED.parent_id, EXCLUDED.parent_node, \
         EXCLUDED.form, EXCLUDED.started_at, EXCLUDED.ended_at, EXCLUDED.closed_by, EXCLUDED.updated_at)";

    const UPSERT_TASKS: &'static str = "INSERT INTO task_history AS t (id, sess_id, node_id, node_name, \
         task_type, assignee, notified, status, notice, created_at, finished_at, closed_by, updated_at) \
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(id text, sess_id text, node_id text, node_name text, \
         task_type text, assignee text, notified boolean, status text, notice text, created_at bigint, \
         finished_at bigint, closed_by text, updated_at bigint) \
         ON CONFLICT (id) DO UPDATE SET sess_id = EXCLUDED.sess_id, node_id = EXCLUDED.node_id, \
         node_name = EXCLUDED.node_name, task_type = EXCLUDED.task_type, assignee = EXCLUDED.assignee, \
         notified = EXCLUDED.notified, status = EXCLUDED.status, notice = EXCLUDED.notice, \
         created_at = EXCLUDED.created_at, finished_at = EXCLUDED.finished_at, closed_by = EXCLUDED.closed_by, \
         updated_at = EXCLUDED.updated_at \
         WHERE (t.sess_id, t.node_id, t.node_name, t.task_type, t.assignee, t.notified, t.status, t.notice, \
         t.created_at, t.finished_at, t.closed_by, t.updated_at) \
         IS DISTINCT FROM (EXCLUDED.sess_id, EXCLUDED.node_id, EXCLUDED.node_name, EXCLUDED.task_type, \
         EXCLUDED.assignee, EXCLUDED.notified, EXCLUDED.status, EXCLUDED.notice, EXCLUDED.created_at, \
         EXCLUDED.finished_at, EXCLUDED.closed_by, EXCLUDED.updated_at)";

    const INSTANCES_IN: &'static str = concat!(
        "SELECT ",
        instance_columns!("::text"),
        " FROM app_session WHERE id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) ORDER BY id"
    );

    const TASKS_OF_INSTANCES_IN: &'static str = concat!(
        "SELECT ",
        task_columns!(),
        " FROM task_history WHERE sess_id = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) ORDER BY id"
    );

    const TREE: &'static str = concat!(
        tree_cte!(),
        "SELECT ",
        instance_columns!("::text"),
        " FROM tree ORDER BY depth, id"
    );

    const ANALYZE: &'static str = "ANALYZE app_session, task_history";

    const OF_USER: &'static str = concat!(
        "SELECT ",
        instance_columns!("::text"),
        " FROM app_session WHERE creator = $1 OR agent = $1 ORDER BY started_at DESC, id DESC LIMIT $2"
    );
}
