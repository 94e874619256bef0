-- Time to triage (the case's first move out of `new` on alerts' timeline) and time to close
-- (its last closure), in hours, for the cases opened in the period; inappropriate accesses
-- among them; and the breach log entries whose organisation became aware in the period.
WITH scoped AS (
    SELECT c.id, c.opened_at, c.state, c.disposition,
           (SELECT min(t.at) FROM case_timeline t
            WHERE t.case_id = c.id AND t.action = 'state_changed' AND t.detail->>'from' = 'new') AS triaged_at,
           (SELECT max(t.at) FROM case_timeline t
            WHERE t.case_id = c.id AND t.action = 'state_changed' AND t.detail->>'to' = 'closed') AS closed_at
    FROM cases c
    WHERE c.opened_at >= $2 AND c.opened_at < $3
      AND ($1::text[] IS NULL OR c.org_code = ANY($1))
),
breaches AS (
    SELECT b.decision, b.reported_at, b.deadline_at
    FROM breach_records b
    WHERE b.aware_at >= $2 AND b.aware_at < $3
      AND ($1::text[] IS NULL OR b.org_code = ANY($1))
)
SELECT count(*) AS opened,
       count(*) FILTER (WHERE state = 'closed') AS closed,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - opened_at) / 3600.0) AS triage_median_hours,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM triaged_at - opened_at) / 3600.0) AS triage_p90_hours,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at) / 3600.0) AS close_median_hours,
       percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM closed_at - opened_at) / 3600.0) AS close_p90_hours,
       count(*) FILTER (WHERE disposition IN ('inappropriate_education', 'inappropriate_disciplinary', 'reported_to_ico')) AS confirmed_breaches,
       (SELECT count(*) FROM breaches) AS breaches_logged,
       (SELECT count(*) FROM breaches WHERE decision = 'reported') AS reported_to_ico,
       (SELECT count(*) FROM breaches WHERE decision = 'reported' AND reported_at <= deadline_at) AS reported_in_time,
       (SELECT count(*) FROM breaches WHERE decision = 'not_reported') AS not_reported
FROM scoped
