-- Explains every access stored in a window from the care context: for each event, the
-- strongest care relationship of the patient (resolved through merges) that binds the user
-- (named on it), their team (the relationship's team, or a colleague of the same team named on
-- it: `same_team`) or their organisation, and is valid at the access within the grace of its
-- kind (`before_seconds` earlier, `after_seconds` after its end). Ties prefer an access inside
-- the relationship's own validity. One row per event; `explained = 0` where nothing binds.
-- Score of a relationship: user 40, team 30, same_team 20, organisation 10, +1 inside validity.
-- The events are those stored in [window_start, window_end) (all of them, or only `event_ids`
-- when `all_events` = 0, to re-explain findings after late care context); those stored before
-- `fresh_from` (a window's overlap) only when they have no explanation yet.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example fresh_from = 1767225000
-- example all_events = 1
-- example event_ids = ['']
-- example version = 1767225600000
-- example kinds = ['registration', 'encounter', 'episode_of_care', 'referral', 'appointment', 'care_team', 'clinician']
-- example before_seconds = [0, 604800, 604800, 604800, 1209600, 0, 604800]
-- example after_seconds = [604800, 2592000, 2592000, 2592000, 2592000, 604800, 2592000]
INSERT INTO access_explanations
    (event_id, occurred_at, received_at, patient_id, user_id, user_org, explained, kind, binding,
     relationship_id, source_channel, source_message_id, valid_from, valid_to, evaluated_at, version)
SELECT
    event_id, occurred_at, received_at, patient_id, user_id, user_org,
    toUInt8(best_score > 0) AS explained,
    multiIf(best_score = 0, '', best_score >= 20 AND best_score < 30, 'same_team',
            arrayElement(r_kinds, best_index)) AS kind,
    multiIf(best_score >= 40, 'user', best_score >= 20, 'team', best_score >= 10, 'organisation', '') AS binding,
    arrayElement(r_ids, best_index) AS relationship_id,
    arrayElement(r_channels, best_index) AS source_channel,
    arrayElement(r_messages, best_index) AS source_message_id,
    toDateTime(arrayElement(r_froms, best_index)) AS valid_from,
    if(best_score = 0 OR arrayElement(r_tos, best_index) = 0, NULL,
       toDateTime(arrayElement(r_tos, best_index))) AS valid_to,
    now() AS evaluated_at,
    toUInt64({version}) AS version
FROM
(
    SELECT
        event_id, occurred_at, received_at, patient_id, user_id, user_org,
        r_kinds, r_ids, r_channels, r_messages, r_froms, r_tos,
        -- ClickHouse 18.16 lambdas cannot capture columns of a subquery: every per-event value
        -- is passed in as an array of copies (replicate).
        arrayMap((k, u, t, ut, o, f, tt, at, eu, et, eo) ->
            if(at + arrayElement({before_seconds}, indexOf({kinds}, k)) >= f
                   AND (tt = 0 OR at < tt + arrayElement({after_seconds}, indexOf({kinds}, k))),
               multiIf(u != '' AND u = eu, 40,
                       et != '' AND t = et, 30,
                       et != '' AND ut = et, 20,
                       o != '' AND o = eo, 10,
                       0)
               + if(at >= f AND (tt = 0 OR at < tt), 1, 0),
               0),
            r_kinds, r_users, r_teams, r_user_teams, r_orgs, r_froms, r_tos,
            replicate(toUInt32(occurred_at), r_kinds), replicate(user_id, r_kinds),
            replicate(e_team, r_kinds), replicate(e_org, r_kinds)) AS raw_scores,
        arrayMap(s -> if(s = 1, 0, s), raw_scores) AS scores,
        arrayReduce('max', arrayPushBack(scores, 0)) AS best_score,
        if(best_score = 0, 0, indexOf(scores, best_score)) AS best_index
    FROM
    (
        SELECT
            event_id, occurred_at, received_at, patient_id, user_id, user_org,
            if(user_org != '', user_org, s_org) AS e_org,
            if(s_team != '', concat(if(s_org != '', s_org, user_org), '/', s_team), '') AS e_team,
            if(l_canonical != '', l_canonical, patient_id) AS canonical_id
        FROM
        (
            SELECT event_id, occurred_at, received_at, patient_id, user_id, user_org, s_org, s_team
            FROM
            (
                SELECT event_id, occurred_at, received_at, patient_id, user_id, user_org
                FROM access_arrivals
                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                  AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
                  -- Before fresh_from (the overlap) only events that have no explanation yet.
                  AND (stored_at >= toDateTime({fresh_from}) OR event_id NOT IN
                      (
                          SELECT event_id FROM access_explanations
                          WHERE patient_id IN
                              (
                                  SELECT patient_id FROM access_arrivals
                                  WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({fresh_from})
                              )
                      ))
            ) AS source_6
            ANY LEFT JOIN
            (
                SELECT user_id, argMax(org_code, version) AS s_org, argMax(team, version) AS s_team
                FROM staff
                GROUP BY user_id
                HAVING argMax(deleted, version) = 0
            ) AS joined_1 USING user_id
        ) AS source_7
        ANY LEFT JOIN
        (
            SELECT alias_id AS patient_id, argMax(canonical_id, version) AS l_canonical
            FROM patient_links
            GROUP BY alias_id
            HAVING argMax(deleted, version) = 0
        ) AS joined_2 USING patient_id
    ) AS source_8
    ANY LEFT JOIN
    (
        SELECT
            canonical_id,
            groupArray(rel_kind) AS r_kinds, groupArray(rel_user) AS r_users,
            groupArray(rel_team) AS r_teams, groupArray(rel_user_team) AS r_user_teams,
            groupArray(rel_org) AS r_orgs, groupArray(rel_from) AS r_froms, groupArray(rel_to) AS r_tos,
            groupArray(relationship_id) AS r_ids, groupArray(rel_channel) AS r_channels,
            groupArray(rel_message) AS r_messages
        FROM
        (
            SELECT
                relationship_id, rel_kind, rel_user, rel_org, rel_from, rel_to, rel_channel, rel_message,
                if(rel_team_name != '', concat(rel_org, '/', rel_team_name), '') AS rel_team,
                if(u_team != '', concat(if(u_org != '', u_org, rel_org), '/', u_team), '') AS rel_user_team,
                if(rl_canonical != '', rl_canonical, rel_patient) AS canonical_id
            FROM
            (
                SELECT relationship_id, rel_patient, rel_kind, rel_user, rel_team_name, rel_org, rel_from,
                       rel_to, rel_channel, rel_message, u_team, u_org
                FROM
                (
                    SELECT
                        relationship_id,
                        argMax(patient_id, version) AS rel_patient,
                        argMax(kind, version) AS rel_kind,
                        argMax(user_id, version) AS rel_user,
                        argMax(team, version) AS rel_team_name,
                        argMax(org_code, version) AS rel_org,
                        toUInt32(argMax(valid_from, version)) AS rel_from,
                        toUInt32(ifNull(argMax(valid_to, version), toDateTime(0))) AS rel_to,
                        argMax(source_channel, version) AS rel_channel,
                        argMax(source_message_id, version) AS rel_message,
                        argMax(deleted, version) AS rel_deleted
                    FROM care_relationships
                    WHERE patient_id IN
                        (
                            SELECT patient_id FROM access_arrivals
                            WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                        )
                       OR patient_id IN
                        (
                            SELECT canonical_id FROM patient_links WHERE alias_id IN
                            (
                                SELECT patient_id FROM access_arrivals
                                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                            )
                        )
                       OR patient_id IN
                        (
                            SELECT alias_id FROM patient_links WHERE canonical_id IN
                            (
                                SELECT patient_id FROM access_arrivals
                                WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                            )
                        )
                    GROUP BY relationship_id
                    HAVING rel_deleted = 0 AND has({kinds}, rel_kind)
                ) AS source_9
                ANY LEFT JOIN
                (
                    SELECT user_id AS rel_user, argMax(team, version) AS u_team, argMax(org_code, version) AS u_org
                    FROM staff
                    GROUP BY user_id
                ) AS joined_3 USING rel_user
            ) AS source_10
            ANY LEFT JOIN
            (
                SELECT alias_id AS rel_patient, argMax(canonical_id, version) AS rl_canonical
                FROM patient_links
                GROUP BY alias_id
                HAVING argMax(deleted, version) = 0
            ) AS joined_4 USING rel_patient
        )
        GROUP BY canonical_id
    ) AS joined_5 USING canonical_id
)
