-- A case is about one user and may cover several patients: serial snooping across many patients
-- is one case, not fifty. `cases.patient_id` stays the patient the case was opened for;
-- `case_patients` lists every patient the case covers, kept by the analyzer as findings join it
-- (and by case merges and splits).
CREATE TABLE case_patients (
    case_id        bigint NOT NULL REFERENCES cases (id),
    patient_id     text NOT NULL,
    first_event_at timestamptz NOT NULL,
    last_event_at  timestamptz NOT NULL,
    PRIMARY KEY (case_id, patient_id)
);
CREATE INDEX case_patients_by_patient ON case_patients (patient_id);

INSERT INTO case_patients (case_id, patient_id, first_event_at, last_event_at)
SELECT id, patient_id, first_event_at, last_event_at FROM cases;

-- What a rule measured for a finding (counts, probabilities, matched fields), shown as evidence.
ALTER TABLE findings ADD COLUMN evidence jsonb NOT NULL DEFAULT '{}'::jsonb;
