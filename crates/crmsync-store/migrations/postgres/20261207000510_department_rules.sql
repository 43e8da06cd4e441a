-- Department rules of officeflow-sync: a department a revoke rule disabled stays in the local copy, marked with
-- the rule's name (its members' position mappings are kept as history); NULL while active.

ALTER TABLE officeflow_departments ADD COLUMN revoked_by TEXT;
