SELECT c.id,
       c.reference,
       c.org_code,
       c.severity,
       COALESCE((SELECT array_agg(DISTINCT f.rule_id ORDER BY f.rule_id) FROM findings f WHERE f.case_id = c.id),
                '{}') AS rules
FROM cases c
WHERE c.notification_state = 'pending'
ORDER BY c.id
LIMIT 100
FOR UPDATE OF c SKIP LOCKED
