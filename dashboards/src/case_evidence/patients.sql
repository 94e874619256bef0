-- Demographics of the case's patients (the latest statement of each).
SELECT patient_id, family_name, address_line, postcode
FROM patients FINAL
WHERE patient_id IN (SELECT arrayJoin(?))
  AND deleted = 0
