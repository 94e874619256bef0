SELECT EXISTS (SELECT 1 FROM findings WHERE rule_id = $1 AND event_id = $2)
    OR EXISTS (SELECT 1 FROM pending_findings WHERE rule_id = $1 AND event_id = $2)
    OR EXISTS (SELECT 1 FROM suppressed_findings WHERE rule_id = $1 AND event_id = $2)
