-- The addresses of an organisation's active officers who want this audience's notifications.
SELECT DISTINCT email
FROM privacy_officers
WHERE org_code = $1
  AND active
  AND CASE $2
        WHEN 'case_alert' THEN case_alerts = 'immediate'
            AND array_position(ARRAY['low', 'medium', 'high', 'critical'], min_severity)
                <= array_position(ARRAY['low', 'medium', 'high', 'critical'], $3)
        WHEN 'escalation' THEN escalations
        WHEN 'breach_reminder' THEN breach_reminders
        WHEN 'digest_daily' THEN digest = 'daily'
        WHEN 'digest_weekly' THEN digest = 'weekly'
        ELSE false
      END
ORDER BY email
