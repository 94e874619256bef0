-- The third pass of explaining a window: cover within the integrated care system. An access
-- that neither a relationship nor a prior episode explains is explained, weakly (binding
-- `system`), when the user's organisation is a peer of the patient's own practice in the same
-- integrated care system (the organisation directory's `parent_code`, and the same `org_type`
-- when `covering_same_type` = 1), the user holds one of `covering_roles` (the access's roles or
-- the staff directory's; unless `covering_any_role` = 1), and the patient had an appointment (or
-- another relationship of `covering_kinds`) with that practice ending within
-- `covering_before_seconds` before the access to `covering_after_seconds` after it: the duty
-- doctor of a neighbouring practice who covers a home visit or a session. The practice is the
-- patient's own (a registration with it), and the relationship's organisation is its own or
-- that of the clinician it names (the staff directory). Relationships that are open-ended have
-- no time to cover and are not used. Written with `version` + 2 so it supersedes the first pass
-- (the prior-episode pass never explains an access this one does: it runs first).
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example all_events = 1
-- example event_ids = ['']
-- example version = 1767225600000
-- example evaluated_at = 1767225600
-- example covering_kinds = ['appointment']
-- example covering_before_seconds = 7200
-- example covering_after_seconds = 43200
-- example covering_same_type = 1
-- example covering_any_role = 0
-- example covering_roles = ['R8000']
INSERT INTO access_explanations
    (event_id, occurred_at, received_at, patient_id, user_id, user_org, explained, kind, binding,
     relationship_id, source_channel, source_message_id, valid_from, valid_to, evaluated_at, version,
     stored_at)
SELECT
    event_id, occurred_at, received_at, patient_id, user_id, user_org,
    1 AS explained, 'covering_appointment' AS kind, 'system' AS binding,
    arrayElement(c_ids, cover_index) AS relationship_id,
    arrayElement(c_channels, cover_index) AS source_channel,
    arrayElement(c_messages, cover_index) AS source_message_id,
    toDateTime(arrayElement(c_ends, cover_index) - {covering_before_seconds}) AS valid_from,
    toNullable(toDateTime(arrayElement(c_ends, cover_index) + {covering_after_seconds})) AS valid_to,
    toDateTime({evaluated_at}) AS evaluated_at,
    toUInt64({version}) + 2 AS version,
    stored_at
FROM
(
    SELECT
        event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org,
        c_ids, c_channels, c_messages, c_ends,
        -- The first relationship whose end lies within [access - after, access + before].
        -- (The access's columns enter the lambda as arrays, as in the prior-episode pass.)
        arrayFirstIndex((org, parent, type, end_at, at, own_org, own_parent, own_type) ->
            org != own_org AND parent = own_parent
            AND ({covering_same_type} = 0 OR type = own_type)
            AND end_at <= at + {covering_before_seconds}
            AND end_at + {covering_after_seconds} > at,
            c_orgs, c_parents, c_types, c_ends, replicate(toUInt32(occurred_at), c_ends),
            replicate(e_org, c_ends), replicate(e_parent, c_ends), replicate(e_type, c_ends)) AS cover_index
    FROM
    (
        SELECT event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org, e_org,
               e_parent, e_type
        FROM
        (
            SELECT event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org,
                   if(user_org != '', user_org, s_org) AS e_org
            FROM
            (
                SELECT event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org, user_roles
                FROM access_arrivals
                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                  AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
                  -- Per arrival (a re-sent batch stores an event twice): each arrival's latest
                  -- explanation, and a row for each.
                  AND (event_id, stored_at) IN
                    (
                        SELECT event_id, stored_at
                        FROM explanations_by_arrival
                        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                          AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
                        GROUP BY event_id, stored_at
                        HAVING argMax(explained, version) = 0
                    )
                LIMIT 1 BY event_id, stored_at
            ) AS source_1
            ANY LEFT JOIN
            (
                SELECT user_id, tupleElement(latest, 1) AS s_org, tupleElement(latest, 2) AS s_roles
                FROM
                (
                    SELECT user_id, argMax(tuple(org_code, role_codes, deleted), version) AS latest
                    FROM ({@staff_rows})
                    GROUP BY user_id
                )
                WHERE tupleElement(latest, 3) = 0
            ) AS joined_2 USING user_id
            WHERE {covering_any_role} = 1 OR hasAny(arrayConcat(user_roles, s_roles), {covering_roles})
        ) AS source_3
        ANY INNER JOIN
        (
            SELECT org_code AS e_org, argMax(parent_code, version) AS e_parent,
                   argMax(org_type, version) AS e_type
            FROM organisations
            GROUP BY org_code
            HAVING e_parent != '' AND argMax(deleted, version) = 0
        ) AS joined_4 USING e_org
    ) AS source_5
    ANY INNER JOIN
    (
        SELECT
            patient_id,
            groupArray(relationship_id) AS c_ids, groupArray(c_org) AS c_orgs,
            groupArray(c_parent) AS c_parents, groupArray(c_type) AS c_types,
            groupArray(c_end) AS c_ends, groupArray(c_channel) AS c_channels,
            groupArray(c_message) AS c_messages
        FROM
        (
            SELECT relationship_id, patient_id, c_org, c_end, c_channel, c_message, c_parent, c_type
            FROM
            (
                SELECT relationship_id, patient_id, c_end, c_channel, c_message,
                       if(r_org != '', r_org, u_org) AS c_org
                FROM
                (
                    SELECT
                        relationship_id,
                        tupleElement(latest, 1) AS patient_id,
                        tupleElement(latest, 2) AS r_user,
                        tupleElement(latest, 3) AS r_org,
                        toUInt32(assumeNotNull(tupleElement(latest, 4))) AS c_end,
                        tupleElement(latest, 5) AS c_channel,
                        tupleElement(latest, 6) AS c_message
                    FROM
                    (
                        SELECT
                            relationship_id,
                            argMax(tuple(patient_id, user_id, org_code, valid_to, source_channel,
                                         source_message_id, deleted, kind), version) AS latest
                        FROM care_by_patient
                        WHERE patient_id IN
                            (
                                {@unexplained_explained_patients}
                            )
                        GROUP BY relationship_id
                    )
                    WHERE tupleElement(latest, 7) = 0 AND has({covering_kinds}, tupleElement(latest, 8))
                      AND isNotNull(tupleElement(latest, 4))
                ) AS source_6
                ANY LEFT JOIN
                (
                    SELECT user_id AS r_user, argMax(org_code, version) AS u_org
                    FROM staff
                    GROUP BY user_id
                ) AS joined_7 USING r_user
            ) AS source_8
            ANY INNER JOIN
            (
                SELECT org_code AS c_org, argMax(parent_code, version) AS c_parent,
                       argMax(org_type, version) AS c_type
                FROM organisations
                GROUP BY org_code
                HAVING c_parent != '' AND argMax(deleted, version) = 0
            ) AS joined_9 USING c_org
            -- Only the patient's own practice: an organisation the patient is registered with.
            WHERE (patient_id, c_org) IN
                (
                    SELECT r_patient, r_org
                    FROM
                    (
                        SELECT relationship_id, argMax(patient_id, version) AS r_patient,
                               argMax(org_code, version) AS r_org, argMax(kind, version) AS r_kind,
                               argMax(deleted, version) AS r_deleted
                        FROM care_by_patient
                        WHERE patient_id IN
                            (
                                {@unexplained_explained_patients}
                            )
                        GROUP BY relationship_id
                    )
                    WHERE r_kind = 'registration' AND r_deleted = 0 AND r_org != ''
                )
        )
        GROUP BY patient_id
    ) AS joined_10 USING patient_id
)
WHERE cover_index > 0
