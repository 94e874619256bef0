SELECT c.id,
       c.reference,
       c.org_code,
       c.severity,
       o.privacy_officer_email,
       COALESCE((SELECT string_agg(DISTINCT f.rule_id, ', ') FROM findings f WHERE f.case_id = c.id), '') AS rules
FROM cases c
LEFT JOIN organisations o ON o.ods_code = c.org_code
WHERE c.notification_state = 'pending'
ORDER BY c.id
LIMIT 100
FOR UPDATE OF c SKIP LOCKED
