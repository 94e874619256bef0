-- Breach log entries still awaiting the reporting decision.
SELECT b.id, b.case_id, c.reference, b.org_code, b.deadline_at,
       COALESCE((SELECT array_agg(s.org_code ORDER BY s.org_code) FROM case_shares s WHERE s.case_id = c.id),
                '{}') AS shared_with
FROM breach_records b
JOIN cases c ON c.id = b.case_id
WHERE b.decision = 'pending'
ORDER BY b.deadline_at, b.id
FOR UPDATE OF b SKIP LOCKED
