-- Accesses in the window that nothing explains, by a user who had a legitimate (explained)
-- access to the same patient within `lookback_days` before, and who has come back without a
-- relationship on at least `min_return_days` distinct days after the day of the last such
-- access (this one included): the care ended, the interest did not. Unexplained reads of the
-- explained access's own session or day are the episode, not a return. detail is the number
-- of return days.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example skipped_orgs = ['NHS111']
-- example lookback_days = 180
-- example min_return_days = 2
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       concat(toString(return_days), ' days of return without a relationship') AS detail
FROM
(
    SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
           -- The last explained access before this one, within the lookback (0: none).
           arrayReduce('max', arrayPushBack(arrayMap((t, x, at) -> if(x = 1 AND t < at AND t + {lookback_days} * 86400 > at, t, 0),
                       h_times, h_explained, replicate(toUInt32(occurred_at), h_times)), 0)) AS episode_at,
           episode_at > 0 AS had_episode,
           -- Days of unexplained access after the day of that episode, up to this one: the other
           -- reads of the episode's own session, or of its day, are not returns.
           length(arrayDistinct(arrayFilter((d, x, t, at, e) -> x = 0 AND t <= at AND d > intDiv(e, 86400),
                       arrayMap(t -> intDiv(t, 86400), h_times), h_explained, h_times,
                       replicate(toUInt32(occurred_at), h_times), replicate(episode_at, h_times)))) AS return_days
    FROM
    (
        SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id
        FROM access_arrivals
        WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
          AND event_id IN
            (
                {@unexplained_in_window}
            )
    ) AS source_2
    ANY INNER JOIN
    (
        SELECT patient_id, user_id, groupArray(toUInt32(h_occurred)) AS h_times, groupArray(h_explained_flag) AS h_explained
        FROM
        (
            SELECT event_id, patient_id, user_id, any(occurred_at) AS h_occurred,
                   argMax(explained, version) AS h_explained_flag
            FROM access_explanations_by_patient
            -- Only the histories of the pairs that can fire: unexplained accesses of the window.
            WHERE (patient_id, user_id) IN
                (
                    {@unexplained_pairs}
                )
            GROUP BY event_id, patient_id, user_id
        )
        GROUP BY patient_id, user_id
    ) AS joined_1 USING patient_id, user_id
)
WHERE had_episode AND return_days >= {min_return_days}
