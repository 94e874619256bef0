-- The (patient, user) pairs of the window's accesses that the first explanation pass left
-- unexplained: the only histories repeat_browse needs. Read from explanations_by_arrival, where
-- a window's explanations are one range of stored time. Any explanation that left one
-- unexplained counts: a superset, for IN, that the rule's own join narrows.
SELECT patient_id, user_id
FROM explanations_by_arrival
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND explained = 0
