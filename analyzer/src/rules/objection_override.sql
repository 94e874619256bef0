-- Accesses in the window to a patient who objected to sharing (`sharing_objection` flag set),
-- unless a purpose of use the objection allows for applies (`exempt_purposes`, e.g. the patient
-- asked for this view). Safeguarding, public-interest and emergency overrides are still
-- reported: detail lists the purposes of use the access gave, so the officer sees the override.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example exempt_purposes = ['PATRQT']
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       arrayStringConcat(arrayMap(p -> replaceRegexpOne(p, '^.*\\|', ''), purpose_of_use), ', ') AS detail
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND NOT arrayExists(p -> has({exempt_purposes}, replaceRegexpOne(p, '^.*\\|', '')), purpose_of_use)
  AND patient_id IN
    (
        SELECT patient_id
        FROM patient_flags
        WHERE flag = 'sharing_objection'
        GROUP BY patient_id
        HAVING argMax(value, version) = 1 AND argMax(deleted, version) = 0
    )
