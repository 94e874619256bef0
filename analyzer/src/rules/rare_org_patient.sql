-- Accesses in the window that nothing explains, from an organisation that has never had a care
-- relationship with the patient (none at any time, nor the registered practice) and that
-- belongs to another region (its `region`, else its parent: the integrated care system) than
-- every organisation that has: a cross-exchange look without a
-- referral. detail is the user's region and the patient's (sorted, so it does not depend on the
-- order ClickHouse read them in).
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example skipped_orgs = ['NHS111']
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       concat(e_region, ' viewing a patient of ', arrayStringConcat(p_regions, ', ')) AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, e_region, p_orgs, p_regions
    FROM
    (
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, e_region
        FROM
        (
            SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
            FROM access_arrivals
            WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
              AND user_org != ''
              AND event_id IN
                (
                    {@unexplained_in_window}
                )
        ) AS source_4
        ANY INNER JOIN
        (
            SELECT org_code AS user_org, if(argMax(region, version) != '', argMax(region, version), argMax(parent_code, version)) AS e_region
            FROM organisations
            GROUP BY org_code
            HAVING e_region != ''
        ) AS joined_1 USING user_org
    ) AS source_5
    ANY INNER JOIN
    (
        SELECT patient_id, groupUniqArray(c_org) AS p_orgs, arraySort(groupUniqArray(c_region)) AS p_regions
        FROM
        (
            SELECT patient_id, c_org, c_region
            FROM
            (
                SELECT patient_id, c_org
                FROM
                (
                    SELECT relationship_id, patient_id, argMax(org_code, version) AS c_org,
                           argMax(deleted, version) AS c_deleted, argMax(kind, version) AS c_kind
                    FROM care_by_patient
                    WHERE patient_id IN
                        (
                            {@unexplained_patients}
                        )
                    GROUP BY relationship_id, patient_id
                )
                WHERE c_deleted = 0 AND c_org != '' AND c_kind != 'related_person'
                UNION ALL
                SELECT patient_id, argMax(gp_practice, version) AS c_org
                FROM patients
                WHERE patient_id IN
                    (
                        {@unexplained_patients}
                    )
                GROUP BY patient_id
                HAVING c_org != ''
            ) AS source_6
            ANY INNER JOIN
            (
                SELECT org_code AS c_org, if(argMax(region, version) != '', argMax(region, version), argMax(parent_code, version)) AS c_region
                FROM organisations
                GROUP BY org_code
                HAVING c_region != ''
            ) AS joined_2 USING c_org
        )
        GROUP BY patient_id
    ) AS joined_3 USING patient_id
)
WHERE NOT has(p_orgs, user_org) AND NOT has(p_regions, e_region)
