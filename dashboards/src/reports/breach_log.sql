-- The breach log (alerts' breach_records) for the report: entries whose organisation became
-- aware in [$2, $3), of the reader's organisations ($1; NULL = all) or shared with them, with
-- the 72-hour deadline, the decision and its reference or reason, newest awareness first.
SELECT c.reference, b.org_code, b.aware_at, b.deadline_at, b.decision,
       COALESCE(b.ico_reference, '') AS ico_reference, b.reported_at,
       COALESCE(b.not_reported_reason, '') AS not_reported_reason,
       b.what_happened, b.data_affected, b.people_affected, b.likely_effects, b.remedial_action,
       c.state, COALESCE(c.disposition, '') AS disposition
FROM breach_records b
JOIN cases c ON c.id = b.case_id
WHERE b.aware_at >= $2 AND b.aware_at < $3
  AND ($1::text[] IS NULL OR b.org_code = ANY($1)
       OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = b.case_id AND s.org_code = ANY($1)))
ORDER BY b.aware_at DESC, b.id DESC
LIMIT 10000
