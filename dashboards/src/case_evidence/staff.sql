-- The case's user in the staff directory (the latest statement).
SELECT user_id, family_name, given_names, org_code, role_codes, job_title, team,
       home_address_line, home_postcode, leave_date, patient_id
FROM
(
    SELECT user_id, family_name, given_names, org_code, role_codes, job_title, team,
           home_address_line, home_postcode, leave_date, patient_id, deleted
    FROM staff
    WHERE user_id = ?
    ORDER BY version DESC
    LIMIT 1
)
WHERE deleted = 0
