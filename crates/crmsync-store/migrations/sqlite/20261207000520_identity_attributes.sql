-- Identity attributes (officeflow-sync's attributes part, SQLite: JSON kept as text, queried with json_extract
-- and json_each; booleans as 0/1): the fields the platform defines per identity are rows of a registry, and a
-- user's values are one JSON object, so a field the platform adds registers itself as a row: no column is ever
-- added at run time. Times are milliseconds since the Unix epoch.

CREATE TABLE officeflow_attribute_defs (
    identity    TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('text', 'number', 'bool', 'date', 'enum')),
    enum_values TEXT    NOT NULL CHECK (json_valid(enum_values)),
    required    INTEGER NOT NULL,
    listed      INTEGER NOT NULL,
    first_seen  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (identity, key)
) WITHOUT ROWID;

CREATE TABLE officeflow_user_attributes (
    username   TEXT PRIMARY KEY,
    identity   TEXT NOT NULL,
    attributes TEXT NOT NULL CHECK (json_valid(attributes) AND json_type(attributes) = 'object')
) WITHOUT ROWID;
CREATE INDEX officeflow_user_attributes_by_identity ON officeflow_user_attributes (identity);
