-- The peer group (same organisation and role code, up to 200 colleagues): per day, the total of
-- each peer's distinct patients, so the page can show the mean per peer.
-- From access_days_by_org (migration 0021): the organisation's rows of the period are one range
-- of its sort key; in access_by_user the 200 peers would be 200 ranges, each a granule per part.
-- The days are whole days (the caller binds midnights).
SELECT day, sum(patients) AS total
FROM
(
    SELECT day, user_id, uniqExact(patient_id) AS patients
    FROM access_days_by_org
    WHERE user_org = ?
      AND day >= toDate(toDateTime(?)) AND day < toDate(toDateTime(?))
      AND user_id IN (
        SELECT user_id FROM staff FINAL
        WHERE org_code = ? AND has(role_codes, ?) AND user_id != ? AND deleted = 0
        ORDER BY user_id
        LIMIT 200
    )
    GROUP BY day, user_id
)
GROUP BY day
ORDER BY day
