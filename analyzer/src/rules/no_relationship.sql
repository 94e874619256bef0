-- Accesses in the window that no care relationship explains (their latest explanation, as
-- explanations_by_arrival holds it for the window's arrivals, has explained = 0: no registration, encounter, referral, appointment,
-- care team, same-team colleague or prior episode binds the user, their team or their
-- organisation to the patient at the time).
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example skipped_orgs = ['NHS111']
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id, '' AS detail
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND event_id IN
(
    {@unexplained_in_window}
)
