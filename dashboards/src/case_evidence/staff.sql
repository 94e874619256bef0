-- The case's user in the staff directory.
SELECT user_id, family_name, given_names, org_code, role_codes, job_title, team,
       home_address_line, home_postcode, leave_date, patient_id
FROM staff FINAL
WHERE user_id = ?
  AND deleted = 0
LIMIT 1
