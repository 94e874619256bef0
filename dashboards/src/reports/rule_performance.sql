-- Per rule over the period: findings, cases, and the outcomes of its closed cases (precision is
-- inappropriate / decided, where "unable to determine" is not a decision).
SELECT f.rule_id,
       count(*) AS findings,
       count(DISTINCT c.id) AS cases,
       count(DISTINCT c.id) FILTER (WHERE c.state = 'closed' AND c.disposition IS NOT NULL
                                      AND c.disposition <> 'unable_to_determine') AS decided,
       count(DISTINCT c.id) FILTER (WHERE c.disposition IN ('inappropriate_education',
                                      'inappropriate_disciplinary', 'reported_to_ico')) AS inappropriate
FROM findings f
JOIN cases c ON c.id = f.case_id
WHERE f.occurred_at >= $2 AND f.occurred_at < $3
  AND ($1::text[] IS NULL OR c.org_code = ANY($1))
GROUP BY f.rule_id
ORDER BY f.rule_id
