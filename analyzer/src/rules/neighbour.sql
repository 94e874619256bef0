-- Accesses in the window where the patient lives near the user: the same postcode unit (or,
-- with `match_sector` = 1, the same postcode sector: the unit without its last two letters) as
-- the user's home, at a different address; detail is `unit` or `sector`.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example match_sector = 0
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       if(s_postcode = p_postcode, 'unit', 'sector') AS detail
FROM
(
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
               s_home, p_home, s_postcode, p_postcode
        FROM
        (
            SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, s_home, s_postcode
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
                              upper(replaceRegexpAll(argMax(home_postcode, version), '[^A-Za-z0-9]', ''))) AS s_home,
                       upper(replaceRegexpAll(argMax(home_postcode, version), '[^A-Za-z0-9]', '')) AS s_postcode
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
WHERE length(s_postcode) >= 5 AND length(p_postcode) >= 5 AND s_home != p_home
  AND (s_postcode = p_postcode
       OR ({match_sector} = 1
           AND substring(s_postcode, 1, length(s_postcode) - 2) = substring(p_postcode, 1, length(p_postcode) - 2)))
