-- The identifiers merged into a patient's (HL7 A40, FHIR Patient.link). A merged
-- `authority|value` also matches what was recorded under its bare value, since audit events
-- keep the identifier system in a column of their own; the reader adds the bare values.
SELECT alias_id
FROM patient_links FINAL
WHERE canonical_id = ? AND deleted = 0
