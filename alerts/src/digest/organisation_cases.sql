-- The cases of an organisation (owned or shared with it) for its digest: every open case, and
-- the ones opened in the period ($2, $3], with any breach report deadline awaiting a decision.
SELECT c.reference, c.severity, c.state, c.opened_at, c.assignee IS NULL AS unassigned,
       b.deadline_at AS breach_deadline
FROM cases c
LEFT JOIN breach_records b ON b.case_id = c.id AND b.decision = 'pending'
WHERE (c.org_code = $1 OR EXISTS (SELECT 1 FROM case_shares s WHERE s.case_id = c.id AND s.org_code = $1))
  AND c.merged_into IS NULL
  AND (c.state <> 'closed' OR (c.opened_at > $2 AND c.opened_at <= $3) OR b.id IS NOT NULL)
ORDER BY c.score DESC, c.opened_at DESC
LIMIT 1000
