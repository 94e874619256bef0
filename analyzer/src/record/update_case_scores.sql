-- New scores, severities and score components of cases, and their access times widened to
-- their standing findings' (update_case_score.sql for many cases at once).
UPDATE cases
SET score = scored.score,
    score_components = scored.components,
    severity = scored.severity,
    first_event_at = LEAST(cases.first_event_at, COALESCE(scored.first_event_at, cases.first_event_at)),
    last_event_at = GREATEST(cases.last_event_at, COALESCE(scored.last_event_at, cases.last_event_at))
FROM UNNEST($1::bigint[], $2::float8[], $3::jsonb[], $4::text[], $5::timestamptz[], $6::timestamptz[])
     AS scored (id, score, components, severity, first_event_at, last_event_at)
WHERE cases.id = scored.id
