-- The patients the run's findings add to cases (one row per case and patient).
INSERT INTO case_patients (case_id, patient_id, first_event_at, last_event_at)
SELECT case_id, patient_id, first_event_at, last_event_at
FROM UNNEST($1::bigint[], $2::text[], $3::timestamptz[], $4::timestamptz[])
     AS touched (case_id, patient_id, first_event_at, last_event_at)
ON CONFLICT (case_id, patient_id) DO UPDATE
SET first_event_at = LEAST(case_patients.first_event_at, EXCLUDED.first_event_at),
    last_event_at = GREATEST(case_patients.last_event_at, EXCLUDED.last_event_at)
