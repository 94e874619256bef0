-- How many peers the peer group has (same organisation and role code, at most 200).
SELECT count() FROM
(
    SELECT user_id FROM staff FINAL
    WHERE org_code = ? AND has(role_codes, ?) AND user_id != ? AND deleted = 0
    ORDER BY user_id
    LIMIT 200
)
