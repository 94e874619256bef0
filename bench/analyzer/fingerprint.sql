-- A digest of every row the analyzer wrote, per table, without serial ids (cases by reference,
-- timeline entries by the event of the finding they name), to compare two implementations
-- over the same generated month: `ordered` follows the ids (the order rows were written),
-- `sorted` ignores it.
WITH lines AS (
    SELECT 'findings' AS kind, f.id AS ord,
           json_build_array(f.rule_id, f.event_id, f.severity, f.occurred_at, f.user_id, f.user_org,
                            f.patient_id, f.explanation, f.evidence, c.reference,
                            f.explained_away_at IS NULL)::text AS line
    FROM findings f JOIN cases c ON c.id = f.case_id
    UNION ALL
    SELECT 'pending_findings', id,
           json_build_array(rule_id, event_id, severity, occurred_at, user_id, user_org, patient_id,
                            explanation, evidence)::text
    FROM pending_findings
    UNION ALL
    SELECT 'suppressed_findings', id,
           json_build_array(suppression_id, rule_id, event_id, severity, occurred_at, user_id,
                            patient_id)::text
    FROM suppressed_findings
    UNION ALL
    SELECT 'cases', id,
           json_build_array(reference, org_code, user_id, patient_id, state, severity, score,
                            score_components, first_event_at, last_event_at, explained_away_at IS NULL)::text
    FROM cases
    UNION ALL
    SELECT 'case_patients', p.case_id,
           json_build_array(c.reference, p.patient_id, p.first_event_at, p.last_event_at)::text
    FROM case_patients p JOIN cases c ON c.id = p.case_id
    UNION ALL
    SELECT 'case_timeline', l.id,
           json_build_array(c.reference, l.actor, l.action, l.detail - 'finding_id',
                            (SELECT f.event_id FROM findings f WHERE f.id = (l.detail->>'finding_id')::bigint))::text
    FROM case_timeline l JOIN cases c ON c.id = l.case_id
)
SELECT kind,
       count(*) AS rows,
       md5(string_agg(line, E'\n' ORDER BY ord, line)) AS ordered,
       md5(string_agg(line, E'\n' ORDER BY line)) AS sorted
FROM lines
GROUP BY kind
ORDER BY kind
