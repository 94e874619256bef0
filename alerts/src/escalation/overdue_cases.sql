-- High-severity cases nobody picked up in time: still new, unassigned, not yet escalated,
-- opened longer ago than the organisation's escalation time ($1 minutes by default).
SELECT c.id, c.reference, c.org_code, c.severity, c.opened_at,
       COALESCE((SELECT array_agg(DISTINCT f.rule_id ORDER BY f.rule_id) FROM findings f WHERE f.case_id = c.id),
                '{}') AS rules,
       COALESCE((SELECT array_agg(s.org_code ORDER BY s.org_code) FROM case_shares s WHERE s.case_id = c.id),
                '{}') AS shared_with
FROM cases c
LEFT JOIN organisations o ON o.ods_code = c.org_code
WHERE c.state = 'new'
  AND c.assignee IS NULL
  AND c.escalated_at IS NULL
  AND c.severity IN ('high', 'critical')
  AND c.opened_at + make_interval(mins => COALESCE(o.escalation_minutes, $1)) <= $2
ORDER BY c.opened_at, c.id
LIMIT 100
FOR UPDATE OF c SKIP LOCKED
