UPDATE findings SET explained_away_at = now(), explained_by = $2 WHERE id = $1 AND explained_away_at IS NULL
