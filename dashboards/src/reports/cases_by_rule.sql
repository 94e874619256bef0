-- Cases opened in the period, per rule (a case counts once per rule it holds) and outcome.
SELECT f.rule_id, c.state, COALESCE(c.disposition, '') AS disposition, count(DISTINCT c.id) AS cases
FROM cases c
JOIN findings f ON f.case_id = c.id
WHERE c.opened_at >= $2 AND c.opened_at < $3
  AND ($1::text[] IS NULL OR c.org_code = ANY($1))
GROUP BY f.rule_id, c.state, c.disposition
ORDER BY f.rule_id, c.state, disposition
