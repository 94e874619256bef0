-- The care relationships the patient has under any of its identifiers, open or closed.
-- The latest statement of each relationship wins, then retractions are dropped (as FINAL would,
-- without FINAL's cost on ClickHouse 18.16).
SELECT relationship_id, patient_id, kind, user_id, team, org_code, valid_from, valid_to,
       source_channel, source_message_id
FROM
(
    SELECT relationship_id, patient_id, kind, user_id, team, org_code, valid_from, valid_to,
       source_channel, source_message_id, deleted
    FROM care_relationships
    WHERE patient_id IN (SELECT arrayJoin(?))
    ORDER BY version DESC
    LIMIT 1 BY relationship_id
)
WHERE deleted = 0
ORDER BY valid_from, relationship_id
LIMIT 10000
