SELECT c.id, c.reference, c.org_code, c.user_id, c.patient_id, c.state, c.disposition, c.severity, c.score,
       c.first_event_at, c.last_event_at, c.opened_at, c.version,
       COALESCE((SELECT string_agg(DISTINCT f.rule_id, ', ') FROM findings f WHERE f.case_id = c.id), '') AS rules,
       (SELECT count(*) FROM findings f WHERE f.case_id = c.id) AS finding_count,
       COALESCE((SELECT f.explanation FROM findings f WHERE f.case_id = c.id ORDER BY f.occurred_at DESC, f.id DESC LIMIT 1), '') AS latest_explanation
FROM cases c
WHERE ($1::text[] IS NULL OR c.org_code = ANY($1))
  AND ($2::text IS NULL OR c.state = $2)
  AND ($3::text IS NULL OR c.reference = $3)
ORDER BY (c.state = 'closed'), c.score DESC, c.last_event_at DESC
LIMIT $4
