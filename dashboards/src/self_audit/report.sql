-- Who looked at which audit data through careaudit, newest first.
SELECT at, viewer, view, case_ref, patient_id, user_id, detail
FROM audit_data_views
WHERE ($1::text IS NULL OR patient_id = $1)
  AND ($2::text IS NULL OR user_id = $2)
  AND ($3::text IS NULL OR viewer = $3)
  AND ($4::timestamptz IS NULL OR at >= $4)
  AND ($5::timestamptz IS NULL OR at < $5)
ORDER BY at DESC, id DESC
LIMIT 10000
