-- Accesses in the window where the patient is the user's family: the staff directory's surname
-- and home address (normalised: case, spaces and punctuation ignored) equal the patient's, or
-- the care context names the user as the patient's related person (next of kin, emergency
-- contact, a family relation; also one that has ended, as a former spouse's), by their user id
-- or by the NHS number the staff directory links to them (a RelatedPerson identifies a
-- relative by NHS number); detail says which. The user's own record is self_access's.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       if(r_relation != '', concat('related person: ', r_relation), 'same surname and home address') AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, same_home,
           arrayFirstIndex((u, a, b, c) -> u != '' AND (u = a OR u = b OR u = c),
                           r_users, replicate(user_id, r_users), replicate(s_user, r_users),
                           replicate(s_patient, r_users)) AS r_index,
           if(r_index = 0, '', arrayElement(r_relations, r_index)) AS r_relation
    FROM
    (
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, s_user, s_patient,
               s_family != '' AND s_family = p_family AND s_home != '' AND s_home = p_home
                   AND s_patient != patient_id AS same_home
        FROM
        (
            SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, s_user, s_family, s_home, s_patient
            FROM
            (
                SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
                FROM access_arrivals
                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
            ) AS source_4
            ANY LEFT JOIN
            (
                SELECT user_id, any(staff_user) AS s_user,
                       lower(replaceRegexpAll(argMax(family_name, version), '[^A-Za-z]', '')) AS s_family,
                       argMax(patient_id, version) AS s_patient,
                       concat(lower(replaceRegexpAll(argMax(home_address_line, version), '[^A-Za-z0-9]', '')), '|',
                              upper(replaceRegexpAll(argMax(home_postcode, version), '[^A-Za-z0-9]', ''))) AS s_home
                FROM
                (
                    {@staff_rows}
                )
                GROUP BY user_id
                HAVING argMax(deleted, version) = 0
            ) AS joined_1 USING user_id
        ) AS source_5
        ANY LEFT JOIN
        (
            SELECT patient_id,
                   lower(replaceRegexpAll(argMax(family_name, version), '[^A-Za-z]', '')) AS p_family,
                   concat(lower(replaceRegexpAll(argMax(address_line, version), '[^A-Za-z0-9]', '')), '|',
                          upper(replaceRegexpAll(argMax(postcode, version), '[^A-Za-z0-9]', ''))) AS p_home
            FROM patients
            WHERE patient_id IN
                (
                    {@window_patients}
                )
            GROUP BY patient_id
            HAVING argMax(deleted, version) = 0
        ) AS joined_2 USING patient_id
    ) AS source_6
    ANY LEFT JOIN
    (
        SELECT patient_id, groupArray(r_user) AS r_users, groupArray(r_team) AS r_relations
        FROM
        (
            SELECT relationship_id, patient_id, argMax(user_id, version) AS r_user,
                   argMax(team, version) AS r_team, argMax(deleted, version) AS r_deleted,
                   argMax(kind, version) AS r_kind
            FROM care_by_patient
            WHERE patient_id IN
                (
                    {@window_patients}
                )
            GROUP BY relationship_id, patient_id
        )
        WHERE r_kind = 'related_person' AND r_deleted = 0 AND r_user != ''
        GROUP BY patient_id
    ) AS joined_3 USING patient_id
)
WHERE same_home OR r_relation != ''
