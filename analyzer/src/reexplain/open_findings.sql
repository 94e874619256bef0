-- Standing findings (in open cases, or pending) of rules that care context can explain away,
-- young enough that late care context may still arrive for them.
SELECT 'case' AS place, f.id, f.rule_id, f.event_id, f.patient_id, f.case_id
FROM findings f
JOIN cases c ON c.id = f.case_id
WHERE f.explained_away_at IS NULL
  AND c.state <> 'closed'
  AND f.rule_id = ANY($1)
  AND f.occurred_at > now() - make_interval(secs => $2)
UNION ALL
SELECT 'pending' AS place, p.id, p.rule_id, p.event_id, p.patient_id, NULL::bigint AS case_id
FROM pending_findings p
WHERE p.rule_id = ANY($1)
  AND p.occurred_at > now() - make_interval(secs => $2)
