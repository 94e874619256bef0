-- The latest explanation of each of `event_ids` (of patients `patient_ids`): whether and how
-- it is explained, for filtering findings and for explaining them away, and when that was
-- evaluated (seconds), for whether care context stored since can explain it better.
-- example patient_ids = ['9990001259']
-- example event_ids = ['e-1']
SELECT event_id, argMax(explained, version) AS explained, argMax(kind, version) AS kind,
       argMax(binding, version) AS binding, argMax(relationship_id, version) AS relationship_id,
       argMax(source_channel, version) AS source_channel,
       argMax(source_message_id, version) AS source_message_id,
       toUInt32(argMax(evaluated_at, version)) AS evaluated
FROM access_explanations_by_patient
WHERE patient_id IN (SELECT arrayJoin({patient_ids}))
  AND event_id IN (SELECT arrayJoin({event_ids}))
GROUP BY event_id
