SELECT c.reference AS case_reference, b.org_code, b.aware_at, b.deadline_at, b.marked_by, b.marked_at,
       b.what_happened, b.data_affected, b.people_affected, b.people_affected_description, b.likely_effects,
       b.remedial_action, b.decision, b.ico_reference, b.reported_at, b.not_reported_reason, b.decided_by,
       b.decided_at, b.updated_at, c.state AS case_state, c.disposition AS case_disposition
FROM breach_records b
JOIN cases c ON c.id = b.case_id
WHERE ($1::text[] IS NULL OR b.org_code = ANY($1)
       OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = b.case_id AND s.org_code = ANY($1)))
  AND ($2::text IS NULL OR c.reference = $2)
  AND ($3::text IS NULL OR b.decision = $3)
ORDER BY b.aware_at DESC, b.id DESC
