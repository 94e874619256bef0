-- Every row of the staff directory under each user id an access may carry for that member of
-- staff: the directory's own id, and `<id>@<ODS code>` of the row's organisation, the form ATNA
-- senders write in UserID (the collector keeps UserID as sent, and takes the organisation from
-- it). `staff_user` is the directory's id, for comparing with the users care context names.
-- Only the rows of the window's users (window_users): the directory is read per window by
-- several rules, and a five-minute window names a few hundred of its 100,000 staff.
SELECT arrayJoin([staff_user, concat(staff_user, '@', org_code)]) AS user_id, staff_user,
       family_name, given_names, org_code, role_codes, job_title, team, home_address_line,
       home_postcode, start_date, leave_date, patient_id, version, deleted
FROM
(
    SELECT user_id AS staff_user, family_name, given_names, org_code, role_codes, job_title, team,
           home_address_line, home_postcode, start_date, leave_date, patient_id, version, deleted
    FROM staff
    WHERE user_id IN
        (
            {@window_users}
        )
)
