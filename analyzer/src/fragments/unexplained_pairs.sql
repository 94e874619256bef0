-- The (patient, user) pairs of the window's accesses that the first explanation pass left
-- unexplained: the only histories repeat_browse needs.
SELECT patient_id, user_id
FROM access_explanations
WHERE patient_id IN ({@window_patients})
  AND event_id IN ({@window_events})
  AND explained = 0
