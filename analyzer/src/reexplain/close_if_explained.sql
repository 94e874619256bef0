-- A case whose every finding is now explained is closed, if nobody has started on it (state
-- new, no assignee); a case someone is working stays with them, marked.
UPDATE cases
SET explained_away_at = now(),
    state = CASE WHEN state = 'new' AND assignee IS NULL THEN 'closed' ELSE state END,
    version = version + 1
WHERE id = $1
  AND explained_away_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM findings f WHERE f.case_id = $1 AND f.explained_away_at IS NULL)
RETURNING state
