-- The reception sync's memory of amoCRM: reception -> deal, patient -> contact, phone -> contact and
-- patient number -> deal (a deal whose reception id is empty). A row with a NULL id and an intent time is a
-- create that was started and not confirmed. Times are unix milliseconds.

CREATE TABLE ident_reception_leads (
    reception_id BIGINT PRIMARY KEY,
    lead_id      BIGINT,
    intent_at    BIGINT
);

CREATE TABLE ident_patient_contacts (
    patient_id BIGINT PRIMARY KEY,
    contact_id BIGINT,
    intent_at  BIGINT
);

CREATE TABLE ident_phone_contacts (
    phone      TEXT PRIMARY KEY,
    contact_id BIGINT NOT NULL
);

CREATE TABLE ident_number_leads (
    patient_number TEXT PRIMARY KEY,
    lead_id        BIGINT NOT NULL
);
