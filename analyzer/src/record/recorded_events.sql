-- Which of these events already have a finding of the rule (in a case, pending or suppressed).
SELECT event_id FROM findings WHERE rule_id = $1 AND event_id = ANY($2)
UNION ALL
SELECT event_id FROM pending_findings WHERE rule_id = $1 AND event_id = ANY($2)
UNION ALL
SELECT event_id FROM suppressed_findings WHERE rule_id = $1 AND event_id = ANY($2)
