-- The second pass of explaining a window: an access that no relationship explains is explained
-- by a prior legitimate episode when the same user had an access to the same patient explained
-- by a relationship within `prior_episode_seconds` before it (continuity of care: results,
-- letters, follow-up after the relationship's grace ended). Only relationship explanations
-- count as the prior episode (not prior episodes, nor cover within the care system), so
-- episodes never chain. The explanation keeps the prior
-- access's binding and names its relationship and source message; valid_from / valid_to are
-- the prior access and the end of its continuity window. Written with `version` + 1 so it
-- supersedes the first pass.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example all_events = 1
-- example event_ids = ['']
-- example version = 1767225600000
-- example evaluated_at = 1767225600
-- example prior_episode_seconds = 1209600
INSERT INTO access_explanations
    (event_id, occurred_at, received_at, patient_id, user_id, user_org, explained, kind, binding,
     relationship_id, source_channel, source_message_id, valid_from, valid_to, evaluated_at, version,
     stored_at)
SELECT
    event_id, occurred_at, received_at, patient_id, user_id, user_org,
    1 AS explained, 'prior_episode' AS kind,
    arrayElement(p_bindings, prior_index) AS binding,
    arrayElement(p_relationships, prior_index) AS relationship_id,
    arrayElement(p_channels, prior_index) AS source_channel,
    arrayElement(p_messages, prior_index) AS source_message_id,
    toDateTime(arrayElement(p_times, prior_index)) AS valid_from,
    toNullable(toDateTime(arrayElement(p_times, prior_index) + {prior_episode_seconds})) AS valid_to,
    toDateTime({evaluated_at}) AS evaluated_at,
    toUInt64({version}) + 1 AS version,
    e_stored AS stored_at
FROM
(
    SELECT
        event_id, occurred_at, received_at, patient_id, user_id, user_org, e_stored,
        p_bindings, p_relationships, p_channels, p_messages, p_times,
        -- The most recent earlier relationship-explained access inside the continuity window.
        arrayMap((t, at) -> if(t <= at AND t + {prior_episode_seconds} > at, t, 0),
                 p_times, replicate(toUInt32(occurred_at), p_times)) AS candidates,
        if(arrayReduce('max', arrayPushBack(candidates, 0)) = 0, 0,
           indexOf(candidates, arrayReduce('max', candidates))) AS prior_index
    FROM
    (
        -- Per arrival (a re-sent batch stores an event twice): each arrival's latest explanation.
        SELECT event_id, stored_at AS e_stored, occurred_at, received_at, patient_id, user_id, user_org
        FROM explanations_by_arrival
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
          AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
        GROUP BY event_id, e_stored, occurred_at, received_at, patient_id, user_id, user_org
        HAVING argMax(explained, version) = 0
    ) AS source_2
    ANY INNER JOIN
    (
        SELECT
            patient_id, user_id,
            groupArray(e_binding) AS p_bindings, groupArray(e_relationship) AS p_relationships,
            groupArray(e_channel) AS p_channels, groupArray(e_message) AS p_messages,
            groupArray(toUInt32(e_occurred)) AS p_times
        FROM
        (
            SELECT
                event_id, patient_id, user_id, any(occurred_at) AS e_occurred,
                argMax(explained, version) AS e_explained, argMax(kind, version) AS e_kind,
                argMax(binding, version) AS e_binding, argMax(relationship_id, version) AS e_relationship,
                argMax(source_channel, version) AS e_channel, argMax(source_message_id, version) AS e_message
            FROM access_explanations_by_patient
            -- Only the histories of the pairs this pass can explain: the unexplained ones of the
            -- accesses explained (few: most accesses were explained by the first pass).
            WHERE (patient_id, user_id) IN
                (
                    SELECT patient_id, user_id
                    FROM explanations_by_arrival
                    WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                      AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
                      AND explained = 0
                )
            GROUP BY event_id, patient_id, user_id
            HAVING e_explained = 1 AND e_kind NOT IN ('prior_episode', 'covering_appointment')
        )
        GROUP BY patient_id, user_id
    ) AS joined_1 USING patient_id, user_id
)
WHERE prior_index > 0
