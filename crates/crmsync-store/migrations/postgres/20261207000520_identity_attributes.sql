-- Identity attributes (officeflow-sync's attributes part, PostgreSQL): the fields the platform defines per
-- identity (student, teacher, staff, ...) are rows of a registry, and a user's values are one JSONB object, so a
-- field the platform adds registers itself as a row: no column is ever added at run time.
-- Times are milliseconds since the Unix epoch.

CREATE TABLE officeflow_attribute_defs (
    identity    TEXT    NOT NULL,
    key         TEXT    NOT NULL,
    label       TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('text', 'number', 'bool', 'date', 'enum')),
    -- The allowed values of an enum (a JSON array of strings); [] for the other kinds.
    enum_values JSONB   NOT NULL,
    required    BOOLEAN NOT NULL,
    -- Whether the platform listed it last time; definitions it stopped listing are kept, not used.
    listed      BOOLEAN NOT NULL,
    first_seen  BIGINT  NOT NULL,
    updated_at  BIGINT  NOT NULL,
    PRIMARY KEY (identity, key)
);

CREATE TABLE officeflow_user_attributes (
    username   TEXT  PRIMARY KEY,
    identity   TEXT  NOT NULL,
    attributes JSONB NOT NULL CHECK (jsonb_typeof(attributes) = 'object')
);
-- `attributes @> '{"grade": 7}'` (users by attribute value) is answered from this index.
CREATE INDEX officeflow_user_attributes_values ON officeflow_user_attributes USING GIN (attributes jsonb_path_ops);
CREATE INDEX officeflow_user_attributes_by_identity ON officeflow_user_attributes (identity);
