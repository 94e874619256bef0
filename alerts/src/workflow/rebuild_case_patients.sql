-- Recomputes the patients a case covers from its findings (after a merge or split moved some);
-- the case's old rows were deleted just before, in the same transaction.
INSERT INTO case_patients (case_id, patient_id, first_event_at, last_event_at)
SELECT $1, patient_id, min(occurred_at), max(occurred_at)
FROM findings
WHERE case_id = $1
GROUP BY patient_id
