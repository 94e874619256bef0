-- Time to triage (first action by a person, not by careaudit itself) and time to close, in hours,
-- for the cases opened in the period; confirmed breaches among them.
WITH scoped AS (
    SELECT c.id, c.opened_at, c.state, c.disposition,
           (SELECT min(t.at) FROM case_timeline t
            WHERE t.case_id = c.id AND t.actor NOT IN ('analyzer', 'alerts', 'careaudit')) AS first_action_at,
           (SELECT max(t.at) FROM case_timeline t
            WHERE t.case_id = c.id AND (t.detail->>'to' = 'closed' OR t.detail->>'state' = 'closed'
                                        OR t.action IN ('closed', 'case_closed'))) AS closed_at
    FROM cases c
    WHERE c.opened_at >= $2 AND c.opened_at < $3
      AND ($1::text[] IS NULL OR c.org_code = ANY($1))
)
SELECT count(*) AS opened,
       count(*) FILTER (WHERE state = 'closed') AS closed,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM first_action_at - opened_at) / 3600.0) AS triage_median_hours,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM first_action_at - opened_at) / 3600.0) AS triage_p90_hours,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at) / 3600.0) AS close_median_hours,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at) / 3600.0) AS close_p90_hours,
       count(*) FILTER (WHERE disposition IN ('inappropriate_education', 'inappropriate_disciplinary', 'reported_to_ico')) AS confirmed_breaches,
       count(*) FILTER (WHERE disposition = 'reported_to_ico') AS reported_to_ico
FROM scoped
