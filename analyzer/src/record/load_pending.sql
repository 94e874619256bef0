-- The run's users' findings not yet in a case, within the grouping window of the run's accesses
-- ($2 and $3: the earliest less the window, the latest plus it), locked as the run may move them.
SELECT id, rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, evidence
FROM pending_findings
WHERE user_id = ANY($1)
  AND occurred_at >= $2
  AND occurred_at <= $3
ORDER BY id
FOR UPDATE
