-- The run's timeline entries, in the order it made them.
INSERT INTO case_timeline (case_id, actor, action, detail)
SELECT case_id, $4, action, detail
FROM UNNEST($1::bigint[], $2::text[], $3::jsonb[]) WITH ORDINALITY AS entry (case_id, action, detail, position)
ORDER BY position
