-- The patients an explanation pass explains (explained_patients) and, through merges, the
-- other ids of the same person, for IN: the care context recorded under either explains the
-- access. The pass's accesses are read once here (an IN of their patients, and one more inside
-- each direction of the links, read them three times: 0.5 s of a day window's 3.5 s at the
-- London month's size). A patient without a link adds the empty id, which no care context has.
SELECT arrayJoin([patient_id, other_id]) AS linked_id
FROM
(
    SELECT DISTINCT patient_id FROM ({@explained_patients})
) AS explained_1
ALL LEFT JOIN
(
    SELECT tupleElement(pair, 1) AS patient_id, tupleElement(pair, 2) AS other_id
    FROM patient_links
    ARRAY JOIN [(alias_id, canonical_id), (canonical_id, alias_id)] AS pair
) AS links_2 USING patient_id
