SELECT event_id, patient_id, user_id, explained, kind, binding, relationship_id, source_channel,
       source_message_id, toUInt32(evaluated_at) AS evaluated_at
FROM access_explanations FINAL
ORDER BY patient_id, occurred_at, event_id
