-- PostgreSQL: every finding with its case, for the bulk export (no parameters).
SELECT f.id, c.reference AS case_reference, f.rule_id, f.severity, f.event_id, f.user_id,
       f.user_org, f.patient_id, f.occurred_at, f.created_at, c.opened_at AS case_opened_at,
       c.org_code AS case_org, c.state AS case_state
FROM findings f
JOIN cases c ON c.id = f.case_id
ORDER BY f.id
