SELECT id, reference, org_code, user_id, patient_id, state, disposition, severity, version,
       merged_into, first_event_at, last_event_at
FROM cases
WHERE reference = $1
FOR UPDATE
