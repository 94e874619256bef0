-- The user's cases before this one (or all of them, for a case not opened yet), and how many
-- were confirmed as inappropriate.
SELECT count(*) AS earlier,
       count(*) FILTER (WHERE disposition IN ('inappropriate_education', 'inappropriate_disciplinary', 'reported_to_ico')) AS confirmed
FROM cases
WHERE user_id = $1
  AND ($2::bigint IS NULL OR (id < $2 AND id <> $2))
  AND explained_away_at IS NULL
