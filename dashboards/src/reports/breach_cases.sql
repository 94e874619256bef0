-- Cases decided as personal data breaches (or reported to the ICO), newest first.
SELECT c.reference, c.org_code, c.severity, c.state, COALESCE(c.disposition, '') AS disposition,
       c.opened_at, c.last_event_at,
       COALESCE((SELECT string_agg(DISTINCT f.rule_id, ', ') FROM findings f WHERE f.case_id = c.id), '') AS rules
FROM cases c
WHERE c.disposition IN ('inappropriate_education', 'inappropriate_disciplinary', 'reported_to_ico')
  AND c.opened_at >= $2 AND c.opened_at < $3
  AND ($1::text[] IS NULL OR c.org_code = ANY($1))
ORDER BY c.opened_at DESC
LIMIT 10000
