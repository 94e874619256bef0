SELECT c.id, c.reference, c.org_code, c.user_id, c.patient_id, c.state, c.disposition, c.severity, c.score,
       c.first_event_at, c.last_event_at, c.opened_at, c.version,
       u.username AS assignee,
       COALESCE((SELECT array_agg(s.org_code ORDER BY s.org_code) FROM case_shares s WHERE s.case_id = c.id), '{}') AS shared_with,
       m.reference AS merged_into,
       COALESCE((SELECT string_agg(DISTINCT f.rule_id, ', ') FROM findings f WHERE f.case_id = c.id), '') AS rules,
       (SELECT count(*) FROM findings f WHERE f.case_id = c.id) AS finding_count,
       COALESCE((SELECT f.explanation FROM findings f WHERE f.case_id = c.id ORDER BY f.occurred_at DESC, f.id DESC LIMIT 1), '') AS latest_explanation
FROM cases c
LEFT JOIN app_users u ON u.id = c.assignee
LEFT JOIN cases m ON m.id = c.merged_into
WHERE ($1::text[] IS NULL OR c.org_code = ANY($1)
       OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.org_code = ANY($1)))
  AND ($2::text IS NULL OR c.state = $2)
  AND ($3::text IS NULL OR c.reference = $3)
ORDER BY (c.state = 'closed'), c.score DESC, c.last_event_at DESC
LIMIT $4
