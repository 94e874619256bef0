-- Demographics of the case's patients (the latest statement of each).
SELECT patient_id, family_name, address_line, postcode
FROM
(
    SELECT patient_id, family_name, address_line, postcode, deleted
    FROM patients
    WHERE patient_id IN (SELECT arrayJoin(?))
    ORDER BY version DESC
    LIMIT 1 BY patient_id
)
WHERE deleted = 0
