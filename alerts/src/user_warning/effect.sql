-- Per arm: users decided, and users with a finding in another case within the window after
-- their (first) decision.
SELECT w.arm,
       count(DISTINCT w.user_id) AS users,
       count(DISTINCT w.user_id) FILTER (WHERE EXISTS (
           SELECT 1 FROM findings f
           WHERE f.user_id = w.user_id
             AND f.case_id <> w.case_id
             AND f.occurred_at > w.decided_at
             AND f.occurred_at <= w.decided_at + make_interval(days => $2)
       )) AS repeated
FROM user_warnings w
WHERE $1::text[] IS NULL OR w.org_code = ANY($1)
GROUP BY w.arm
ORDER BY w.arm
