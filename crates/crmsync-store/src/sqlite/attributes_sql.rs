//! The attribute store's statements on SQLite: batches unpacked with `json_each`, users found by value with
//! `json_extract`.

use sqlx::Sqlite;

use crate::sql::attributes::AttributeSql;

impl AttributeSql for Sqlite {
    const UPSERT_DEFINITIONS: &'static str = "INSERT INTO officeflow_attribute_defs (identity, key, label, \
         kind, enum_values, required, listed, first_seen, updated_at) \
         SELECT json_extract(value, '$.identity'), json_extract(value, '$.key'), json_extract(value, '$.label'), \
         json_extract(value, '$.kind'), json_extract(value, '$.enum_values'), json_extract(value, '$.required'), \
         1, $2, $2 FROM json_each($1) WHERE true \
         ON CONFLICT (identity, key) DO UPDATE SET label = excluded.label, kind = excluded.kind, \
         enum_values = excluded.enum_values, required = excluded.required, listed = 1, \
         updated_at = excluded.updated_at \
         WHERE officeflow_attribute_defs.label IS NOT excluded.label \
         OR officeflow_attribute_defs.kind IS NOT excluded.kind \
         OR officeflow_attribute_defs.enum_values IS NOT excluded.enum_values \
         OR officeflow_attribute_defs.required IS NOT excluded.required \
         OR officeflow_attribute_defs.listed IS NOT 1";

    const UNLIST_DEFINITIONS: &'static str = "UPDATE officeflow_attribute_defs SET listed = 0, updated_at = $2 \
         WHERE listed AND EXISTS (SELECT 1 FROM json_each($1) AS r \
         WHERE json_extract(r.value, '$.identity') = officeflow_attribute_defs.identity \
         AND json_extract(r.value, '$.key') = officeflow_attribute_defs.key)";

    const REGISTRY: &'static str = "SELECT identity, key, label, kind, enum_values, required, listed, \
         first_seen, updated_at FROM officeflow_attribute_defs ORDER BY identity, key";

    const USERS_IN: &'static str = "SELECT username, identity, attributes FROM officeflow_user_attributes \
         WHERE username IN (SELECT value FROM json_each($1)) ORDER BY username";

    const UPSERT_USERS: &'static str = "INSERT INTO officeflow_user_attributes (username, identity, attributes) \
         SELECT json_extract(value, '$.username'), json_extract(value, '$.identity'), \
         json_extract(value, '$.attributes') FROM json_each($1) WHERE true \
         ON CONFLICT (username) DO UPDATE SET identity = excluded.identity, attributes = excluded.attributes \
         WHERE officeflow_user_attributes.identity IS NOT excluded.identity \
         OR officeflow_user_attributes.attributes IS NOT excluded.attributes";

    const DELETE_USERS_IN: &'static str = "DELETE FROM officeflow_user_attributes \
         WHERE username IN (SELECT value FROM json_each($1))";

    const USERS_WITH: &'static str = "SELECT username FROM officeflow_user_attributes \
         WHERE json_extract(attributes, '$.\"' || $1 || '\"') = json_extract($2, '$') \
         AND json_type(attributes, '$.\"' || $1 || '\"') = json_type($2, '$') \
         AND ($3 IS NULL OR identity = $3) ORDER BY username LIMIT $4";

    const USAGE: &'static str = "SELECT u.identity, j.key, COUNT(*) FROM officeflow_user_attributes AS u, \
         json_each(u.attributes) AS j GROUP BY u.identity, j.key ORDER BY 1, 2";
}
