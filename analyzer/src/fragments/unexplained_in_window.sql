-- The accesses stored in the window whose latest explanation explains nothing.
SELECT event_id
FROM access_explanations
WHERE patient_id IN ({@window_patients})
  AND event_id IN ({@window_events})
GROUP BY event_id
HAVING argMax(explained, version) = 0
