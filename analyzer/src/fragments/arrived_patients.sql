-- The patients whose care context became visible in ClickHouse in the window (`since`, `until`]
-- of stored time (seconds, care_arrivals), each with the last second it did: the patients the
-- statements name and, through merges, the other ids of the same person (an admission recorded
-- under the canonical id explains a look under the alias, and the other way round). Staff
-- statements name no patient and are not here. Only part `part` (from 0) of `parts`, by a hash
-- of the patient, so a caller can ask about a month of new care context a part at a time.
SELECT patient_id, max(arrived) AS arrived
FROM
(
    SELECT patient_id, toUInt32(stored_at) AS arrived
    FROM care_arrivals
    WHERE stored_at > toDateTime({since}) AND stored_at <= toDateTime({until}) AND patient_id != ''
    UNION ALL
    SELECT patient_id, arrived
    FROM
    (
        SELECT patient_id AS arrived_id, max(toUInt32(stored_at)) AS arrived
        FROM care_arrivals
        WHERE stored_at > toDateTime({since}) AND stored_at <= toDateTime({until}) AND patient_id != ''
        GROUP BY patient_id
    ) AS arrivals_1
    ALL INNER JOIN
    (
        SELECT tupleElement(pair, 1) AS arrived_id, tupleElement(pair, 2) AS patient_id
        FROM patient_links
        ARRAY JOIN [(alias_id, canonical_id), (canonical_id, alias_id)] AS pair
    ) AS links_2 USING arrived_id
)
WHERE cityHash64(patient_id) % {parts} = {part}
GROUP BY patient_id
