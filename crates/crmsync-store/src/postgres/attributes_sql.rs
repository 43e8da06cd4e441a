//! The attribute store's statements on PostgreSQL: batches unpacked with `jsonb_to_recordset`, users found by
//! value with `@>` (answered from the GIN index on `attributes`).

use sqlx::Postgres;

use crate::sql::attributes::AttributeSql;

impl AttributeSql for Postgres {
    const UPSERT_DEFINITIONS: &'static str = "INSERT INTO officeflow_attribute_defs AS d (identity, key, \
         label, kind, enum_values, required, listed, first_seen, updated_at) \
         SELECT r.identity, r.key, r.label, r.kind, r.enum_values, r.required, true, $2, $2 \
         FROM jsonb_to_recordset($1::jsonb) AS r(identity text, key text, label text, kind text, \
         enum_values jsonb, required boolean) \
         ON CONFLICT (identity, key) DO UPDATE SET label = EXCLUDED.label, kind = EXCLUDED.kind, \
         enum_values = EXCLUDED.enum_values, required = EXCLUDED.required, listed = true, \
         updated_at = EXCLUDED.updated_at \
         WHERE (d.label, d.kind, d.enum_values, d.required, d.listed) \
         IS DISTINCT FROM (EXCLUDED.label, EXCLUDED.kind, EXCLUDED.enum_values, EXCLUDED.required, true)";

    const UNLIST_DEFINITIONS: &'static str = "UPDATE officeflow_attribute_defs AS d \
         SET listed = false, updated_at = $2 \
         FROM jsonb_to_recordset($1::jsonb) AS r(identity text, key text) \
         WHERE d.identity = r.identity AND d.key = r.key AND d.listed";

    const REGISTRY: &'static str = "SELECT identity, key, label, kind, enum_values::text, required, \
         listed, first_seen, updated_at FROM officeflow_attribute_defs ORDER BY identity, key";

    const USERS_IN: &'static str = "SELECT username, identity, attributes::text \
         FROM officeflow_user_attributes \
         WHERE username = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb))) ORDER BY username";

    const UPSERT_USERS: &'static str = "INSERT INTO officeflow_user_attributes AS u (username, identity, \
         attributes) \
         SELECT * FROM jsonb_to_recordset($1::jsonb) AS r(username text, identity text, attributes jsonb) \
         ON CONFLICT (username) DO UPDATE SET identity = EXCLUDED.identity, attributes = EXCLUDED.attributes \
         WHERE (u.identity, u.attributes) IS DISTINCT FROM (EXCLUDED.identity, EXCLUDED.attributes)";

    const DELETE_USERS_IN: &'static str = "DELETE FROM officeflow_user_attributes \
         WHERE username = ANY (ARRAY(SELECT jsonb_array_elements_text($1::jsonb)))";

    const USERS_WITH: &'static str = "SELECT username FROM officeflow_user_attributes \
         WHERE attributes @> jsonb_build_object($1::text, $2::jsonb) \
         AND ($3::text IS NULL OR identity = $3) ORDER BY username LIMIT $4";

    const USAGE: &'static str = "SELECT u.identity, k.key, COUNT(*) FROM officeflow_user_attributes AS u \
         CROSS JOIN LATERAL jsonb_object_keys(u.attributes) AS k(key) GROUP BY 1, 2 ORDER BY 1, 2";
}
