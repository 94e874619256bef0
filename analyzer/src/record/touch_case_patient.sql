INSERT INTO case_patients (case_id, patient_id, first_event_at, last_event_at)
VALUES ($1, $2, $3, $3)
ON CONFLICT (case_id, patient_id) DO UPDATE
SET first_event_at = LEAST(case_patients.first_event_at, EXCLUDED.first_event_at),
    last_event_at = GREATEST(case_patients.last_event_at, EXCLUDED.last_event_at)
