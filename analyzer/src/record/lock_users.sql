-- Takes the transaction-scoped advisory lock of each of the run's users (the two-key form, whose
-- key space is apart from the jobs' one-key locks), in key order so two runs that share users
-- cannot deadlock: one run at a time reads and changes a user's cases and pending findings, so
-- two rules recording findings about the same new user at the same moment open one case, not
-- two (FOR UPDATE on the user's cases locks only the cases that already exist).
SELECT count(pg_advisory_xact_lock(7001, key))
FROM (SELECT DISTINCT hashtext(user_id) AS key FROM unnest($1::text[]) AS user_id ORDER BY key) AS users
