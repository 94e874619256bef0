-- Explains every access stored in a window from the care context: for each event, the
-- strongest care relationship of the patient (resolved through merges) that binds the user
-- (named on it), their team (the relationship's team, or a colleague of the same team named on
-- it: `same_team`) or their organisation, and is valid at the access within the grace of its
-- kind (`before_seconds` earlier, `after_seconds` after its end). Ties prefer an access inside
-- the relationship's own validity. One row per event; `explained = 0` where nothing binds.
-- Score of a relationship: user 40, team 30, same_team 20, organisation 10, +1 inside validity.
-- The events are those stored in [window_start, window_end) (all of them, or only `event_ids`
-- when `all_events` = 0, to re-explain findings after late care context); those stored before
-- `fresh_from` (a window's overlap) only when that arrival has no explanation yet. Each row
-- carries its access's arrival (`stored_at`), which explanations_by_arrival is ordered by.
-- Shape: each event is joined to its patient's relationships as arrays, the arrays are
-- unrolled (LEFT ARRAY JOIN: one row per event and relationship, or one for an event without
-- any), each row is scored with plain column expressions, and the best row per event wins.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example fresh_from = 1767225000
-- example all_events = 1
-- example event_ids = ['']
-- example version = 1767225600000
-- example evaluated_at = 1767225600
-- example kinds = ['registration', 'encounter', 'episode_of_care', 'referral', 'appointment', 'care_team', 'clinician']
-- example before_seconds = [0, 604800, 604800, 604800, 1209600, 0, 604800]
-- example after_seconds = [604800, 2592000, 2592000, 2592000, 2592000, 604800, 2592000]
INSERT INTO access_explanations
    (event_id, occurred_at, received_at, patient_id, user_id, user_org, explained, kind, binding,
     relationship_id, source_channel, source_message_id, valid_from, valid_to, evaluated_at, version,
     stored_at)
SELECT
    event_id, e_occurred, e_received, e_patient, e_user, e_user_org,
    toUInt8(best_score > 0) AS explained,
    multiIf(best_score = 0, '', best_score >= 20 AND best_score < 30, 'same_team', tupleElement(best, 1)) AS kind,
    multiIf(best_score >= 40, 'user', best_score >= 20, 'team', best_score >= 10, 'organisation', '') AS binding,
    if(best_score = 0, '', tupleElement(best, 2)) AS relationship_id,
    if(best_score = 0, '', tupleElement(best, 3)) AS source_channel,
    if(best_score = 0, '', tupleElement(best, 4)) AS source_message_id,
    toDateTime(if(best_score = 0, 0, tupleElement(best, 5))) AS valid_from,
    if(best_score = 0 OR tupleElement(best, 6) = 0, NULL, toDateTime(tupleElement(best, 6))) AS valid_to,
    toDateTime({evaluated_at}) AS evaluated_at,
    toUInt64({version}) AS version,
    e_stored AS stored_at
FROM
(
    SELECT
        event_id,
        any(occurred_at) AS e_occurred, any(received_at) AS e_received, any(patient_id) AS e_patient,
        any(user_id) AS e_user, any(user_org) AS e_user_org, groupUniqArray(stored_at) AS e_storeds,
        max(score) AS best_score,
        argMax(tuple(r_kind, r_id, r_channel, r_message, r_from, r_to), score) AS best
    FROM
    (
        SELECT
            event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org,
            r_kind, r_id, r_channel, r_message, r_from, r_to,
            toUInt32(occurred_at) AS at,
            if(r_kind != '' AND at + r_before >= r_from AND (r_to = 0 OR at < r_to + r_after),
               multiIf(r_user != '' AND (r_user = user_id OR r_user = e_user), 40,
                       e_team != '' AND r_team = e_team, 30,
                       e_team != '' AND r_user_team = e_team, 20,
                       r_org != '' AND r_org = e_org, 10,
                       0)
               + if(at >= r_from AND (r_to = 0 OR at < r_to), 1, 0),
               0) AS raw_score,
            -- Inside validity but binding nobody is no explanation.
            if(raw_score = 1, 0, raw_score) AS score
        FROM
        (
            SELECT
                event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org, e_user, e_org, e_team,
                r_kinds, r_users, r_teams, r_user_teams, r_orgs, r_froms, r_tos, r_befores, r_afters,
                r_ids, r_channels, r_messages
            FROM
            (
                SELECT
                    event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org,
                    if(s_user != '', s_user, user_id) AS e_user,
                    if(user_org != '', user_org, s_org) AS e_org,
                    if(s_team != '', concat(if(s_org != '', s_org, user_org), '/', s_team), '') AS e_team,
                    if(l_canonical != '', l_canonical, patient_id) AS canonical_id
                FROM
                (
                    SELECT event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org, s_user, s_org, s_team
                    FROM
                    (
                        SELECT event_id, stored_at, occurred_at, received_at, patient_id, user_id, user_org
                        FROM access_arrivals
                        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
                          AND ({all_events} = 1 OR event_id IN (SELECT arrayJoin({event_ids})))
                          -- Before fresh_from (the overlap) only events that have no explanation yet.
                          AND (stored_at >= toDateTime({fresh_from}) OR event_id NOT IN
                              (
                                  SELECT event_id FROM explanations_by_arrival
                                  WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({fresh_from})
                              ))
                    ) AS source_1
                    ANY LEFT JOIN
                    (
                        SELECT user_id, s_user, tupleElement(latest, 1) AS s_org, tupleElement(latest, 2) AS s_team
                        FROM
                        (
                            SELECT user_id, any(staff_user) AS s_user,
                                   argMax(tuple(org_code, team, deleted), version) AS latest
                            FROM ({@staff_rows})
                            GROUP BY user_id
                        )
                        WHERE tupleElement(latest, 3) = 0
                    ) AS joined_2 USING user_id
                ) AS source_3
                ANY LEFT JOIN
                (
                    {@merged_patients}
                ) AS joined_4 USING patient_id
            ) AS source_5
            ANY LEFT JOIN
            (
                SELECT
                    canonical_id,
                    groupArray(rel_kind) AS r_kinds, groupArray(rel_user) AS r_users,
                    groupArray(rel_team) AS r_teams, groupArray(rel_user_team) AS r_user_teams,
                    groupArray(rel_org) AS r_orgs, groupArray(rel_from) AS r_froms, groupArray(rel_to) AS r_tos,
                    groupArray(rel_before) AS r_befores, groupArray(rel_after) AS r_afters,
                    groupArray(relationship_id) AS r_ids, groupArray(rel_channel) AS r_channels,
                    groupArray(rel_message) AS r_messages
                FROM
                (
                    SELECT
                        relationship_id, rel_kind, rel_user, rel_org, rel_from, rel_to, rel_channel, rel_message,
                        transform(rel_kind, {kinds}, {before_seconds}, 0) AS rel_before,
                        transform(rel_kind, {kinds}, {after_seconds}, 0) AS rel_after,
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
                                tupleElement(latest, 1) AS rel_patient,
                                tupleElement(latest, 2) AS rel_kind,
                                tupleElement(latest, 3) AS rel_user,
                                tupleElement(latest, 4) AS rel_team_name,
                                tupleElement(latest, 5) AS rel_org,
                                toUInt32(tupleElement(latest, 6)) AS rel_from,
                                toUInt32(ifNull(tupleElement(latest, 7), toDateTime(0))) AS rel_to,
                                tupleElement(latest, 8) AS rel_channel,
                                tupleElement(latest, 9) AS rel_message
                            FROM
                            (
                                SELECT
                                    relationship_id,
                                    argMax(tuple(patient_id, kind, user_id, team, org_code, valid_from, valid_to,
                                                 source_channel, source_message_id, deleted), version) AS latest
                                FROM care_by_patient
                                WHERE patient_id IN ({@linked_explained_patients})
                                GROUP BY relationship_id
                            )
                            WHERE tupleElement(latest, 10) = 0 AND has({kinds}, tupleElement(latest, 2))
                        ) AS source_6
                        ANY LEFT JOIN
                        (
                            SELECT user_id AS rel_user, tupleElement(latest, 1) AS u_team, tupleElement(latest, 2) AS u_org
                            FROM
                            (
                                SELECT user_id, argMax(tuple(team, org_code), version) AS latest
                                FROM staff
                                GROUP BY user_id
                            )
                        ) AS joined_7 USING rel_user
                    ) AS source_8
                    ANY LEFT JOIN
                    (
                        SELECT alias_id AS rel_patient, argMax(canonical_id, version) AS rl_canonical
                        FROM patient_links
                        GROUP BY alias_id
                        HAVING argMax(deleted, version) = 0
                    ) AS joined_9 USING rel_patient
                )
                GROUP BY canonical_id
            ) AS joined_10 USING canonical_id
        )
        LEFT ARRAY JOIN
            r_kinds AS r_kind, r_users AS r_user, r_teams AS r_team, r_user_teams AS r_user_team,
            r_orgs AS r_org, r_froms AS r_from, r_tos AS r_to, r_befores AS r_before, r_afters AS r_after,
            r_ids AS r_id, r_channels AS r_channel, r_messages AS r_message
    )
    GROUP BY event_id
)
-- A row per arrival of the event in the window (a re-sent batch stores an event twice), so each
-- arrival's range of explanations_by_arrival holds its latest explanation.
ARRAY JOIN e_storeds AS e_stored
