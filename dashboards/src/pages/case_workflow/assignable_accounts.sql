-- The careaudit accounts a case of these organisations ($1) can be assigned to: their privacy
-- officers and administrators, and administrators of every organisation (alerts checks again).
SELECT u.username, min(u.display_name) AS display_name
FROM app_users u
JOIN app_user_roles r ON r.user_id = u.id
WHERE NOT u.disabled
  AND r.role IN ('privacy_officer', 'administrator')
  AND (r.org_code IS NULL OR r.org_code = ANY($1))
GROUP BY u.username
ORDER BY u.username
LIMIT 500
