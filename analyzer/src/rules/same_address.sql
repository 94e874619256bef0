-- Accesses in the window where the patient lives at the user's home address (normalised
-- address line and postcode equal) but is not family by surname (family_member covers that);
-- detail is the postcode.
-- example window_start = 1764547200
-- example window_end = 1767225600
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, p_postcode AS detail
FROM
(
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
               s_family, p_family, s_home, p_home, p_postcode
        FROM
        (
            SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, s_family, s_home
            FROM
            (
                SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
                FROM access_arrivals
                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
            ) AS source_3
            ANY LEFT JOIN
            (
                SELECT user_id,
                       lower(replaceRegexpAll(argMax(family_name, version), '[^A-Za-z]', '')) AS s_family,
                       concat(lower(replaceRegexpAll(argMax(home_address_line, version), '[^A-Za-z0-9]', '')), '|',
                              upper(replaceRegexpAll(argMax(home_postcode, version), '[^A-Za-z0-9]', ''))) AS s_home
                FROM ({@staff_rows})
                GROUP BY user_id
                HAVING argMax(deleted, version) = 0
            ) AS joined_1 USING user_id
        ) AS source_4
        ANY LEFT JOIN
        (
            SELECT patient_id,
                   lower(replaceRegexpAll(argMax(family_name, version), '[^A-Za-z]', '')) AS p_family,
                   concat(lower(replaceRegexpAll(argMax(address_line, version), '[^A-Za-z0-9]', '')), '|',
                          upper(replaceRegexpAll(argMax(postcode, version), '[^A-Za-z0-9]', ''))) AS p_home,
                   upper(replaceRegexpAll(argMax(postcode, version), '[^A-Za-z0-9]', '')) AS p_postcode
            FROM patients
            WHERE patient_id IN
                (
                    {@window_patients}
                )
            GROUP BY patient_id
            HAVING argMax(deleted, version) = 0
        ) AS joined_2 USING patient_id
)
WHERE s_home != '|' AND s_home = p_home AND NOT (s_family != '' AND s_family = p_family)
  AND p_postcode != ''
