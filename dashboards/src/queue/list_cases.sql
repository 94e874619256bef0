-- The case queue: open cases first, ranked by score, then the most recent; every filter is
-- optional (NULL = any). $1 is the reader's scope (NULL = every organisation); a case shared
-- with one of the reader's organisations (alerts' joint cases) is in it too.
SELECT c.reference, c.org_code, c.user_id, c.patient_id, c.state, c.disposition, c.severity,
       c.score, c.first_event_at, c.last_event_at, c.opened_at, c.version,
       COALESCE(a.username, '') AS assignee,
       COALESCE((SELECT string_agg(DISTINCT f.rule_id, ', ') FROM findings f WHERE f.case_id = c.id), '') AS rules,
       (SELECT count(*) FROM findings f WHERE f.case_id = c.id) AS finding_count,
       (SELECT count(*) FROM case_patients p WHERE p.case_id = c.id) AS patient_count,
       COALESCE((SELECT array_agg(s.org_code ORDER BY s.org_code) FROM case_shares s WHERE s.case_id = c.id), '{}') AS shared_with,
       m.reference AS merged_into,
       COALESCE((SELECT f.explanation FROM findings f WHERE f.case_id = c.id
                 ORDER BY f.occurred_at DESC, f.id DESC LIMIT 1), '') AS latest_explanation
FROM cases c
LEFT JOIN app_users a ON a.id = c.assignee
LEFT JOIN cases m ON m.id = c.merged_into
WHERE ($1::text[] IS NULL OR c.org_code = ANY($1)
       OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.org_code = ANY($1)))
  AND ($2::text IS NULL OR c.org_code = $2)
  AND ($3::text IS NULL OR EXISTS (SELECT 1 FROM findings f WHERE f.case_id = c.id AND f.rule_id = $3))
  AND ($4::text IS NULL OR c.severity = $4)
  AND ($5::text IS NULL OR c.state = $5)
  AND ($6::text IS NULL OR ($6 = '-' AND c.assignee IS NULL) OR a.username = $6)
  AND ($7::timestamptz IS NULL OR c.last_event_at >= $7)
  AND ($8::timestamptz IS NULL OR c.first_event_at < $8)
  AND ($9::text IS NULL OR c.reference = $9 OR c.user_id = $9 OR c.patient_id = $9
       OR EXISTS (SELECT 1 FROM case_patients p WHERE p.case_id = c.id AND p.patient_id = $9))
ORDER BY (c.state = 'closed'), c.score DESC, c.last_event_at DESC, c.id DESC
LIMIT $10
