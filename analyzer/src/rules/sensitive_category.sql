-- Accesses in the window whose audit shows data of a category that must never be shared through
-- the record: a security label on an entity (`security|system|code`) whose code is among
-- `sensitive_codes` (sexual health, HIV, sexual violence, taboo: gender reassignment and
-- fertility records are labelled so by the sending systems); detail lists the labels.
-- example window_start = 1764547200
-- example window_end = 1767225600
-- example sensitive_codes = ['SEX', 'STD', 'HIV', 'SDV', 'TBOO']
SELECT event_id, occurred_at, occurred_ms, user_id, user_org, patient_id,
       arrayStringConcat(arrayFilter(d -> substring(d, 1, 9) = 'security|'
           AND has({sensitive_codes}, replaceRegexpOne(d, '^.*\\|', '')), data_entities), ', ') AS detail
FROM access_arrivals
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND arrayExists(d -> substring(d, 1, 9) = 'security|'
          AND has({sensitive_codes}, replaceRegexpOne(d, '^.*\\|', '')), data_entities)
