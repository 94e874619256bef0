SELECT DISTINCT source_node
FROM access_events
WHERE has(?, patient_id) AND has(?, event_id)
