-- One emergency-access case per picked event (as the analyzer would open them), with its
-- finding, patient and timeline entry, for the case page benchmark. Reads `picked` (a TSV of
-- event_id, patient_id, user_id, user_org, occurred_at) loaded by run.sh.
INSERT INTO organisations (ods_code, name)
SELECT DISTINCT user_org, 'Organisation ' || user_org FROM picked
ON CONFLICT DO NOTHING;
INSERT INTO cases (reference, org_code, user_id, patient_id, severity, score, first_event_at, last_event_at, notification_state)
SELECT 'BENCH-' || lpad(row_number() OVER (ORDER BY event_id)::text, 5, '0'), user_org, user_id, patient_id, 'high', 9,
       occurred_at, occurred_at, 'queued'
FROM picked;
INSERT INTO findings (rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id, explanation, case_id, evidence)
SELECT 'emergency_access', p.event_id, 'high', p.occurred_at, p.user_id, p.user_org, p.patient_id,
       'The user invoked emergency access (break-glass) giving the reason: patient unconscious in ED.', c.id,
       '{"reason": "patient unconscious in ED"}'::jsonb
FROM picked p JOIN cases c ON c.user_id = p.user_id AND c.patient_id = p.patient_id AND c.first_event_at = p.occurred_at;
INSERT INTO case_patients (case_id, patient_id, first_event_at, last_event_at)
SELECT id, patient_id, first_event_at, last_event_at FROM cases WHERE reference LIKE 'BENCH-%';
INSERT INTO case_timeline (case_id, actor, action, detail)
SELECT id, 'analyzer', 'case_opened', jsonb_build_object('reference', reference) FROM cases WHERE reference LIKE 'BENCH-%';
