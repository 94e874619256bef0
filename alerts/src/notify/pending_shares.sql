SELECT s.case_id, s.org_code, c.reference, c.severity,
       COALESCE((SELECT array_agg(DISTINCT f.rule_id ORDER BY f.rule_id) FROM findings f WHERE f.case_id = c.id),
                '{}') AS rules
FROM case_shares s
JOIN cases c ON c.id = s.case_id
WHERE NOT s.notified
ORDER BY s.case_id, s.org_code
LIMIT 100
FOR UPDATE OF s SKIP LOCKED
