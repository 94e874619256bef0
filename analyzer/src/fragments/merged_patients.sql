-- Patient merges in force: alias → canonical (for a USING patient_id join).
SELECT alias_id AS patient_id, argMax(canonical_id, version) AS l_canonical
FROM patient_links
GROUP BY alias_id
HAVING argMax(deleted, version) = 0
