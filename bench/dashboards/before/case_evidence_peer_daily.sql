-- The peer group (same organisation and role code, up to 200 colleagues): per day, the total of
-- each peer's distinct patients, so the page can show the mean per peer.
SELECT day, sum(patients) AS total
FROM
(
    SELECT toDate(occurred_at) AS day, user_id, uniqExact(patient_id) AS patients
    FROM access_by_user
    WHERE user_id IN (
        SELECT user_id FROM staff FINAL
        WHERE org_code = ? AND has(role_codes, ?) AND user_id != ? AND deleted = 0
        ORDER BY user_id
        LIMIT 200
    )
      AND occurred_at >= toDateTime(?) AND occurred_at < toDateTime(?)
    GROUP BY day, user_id
)
GROUP BY day
ORDER BY day
