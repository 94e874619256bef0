-- The directories behind the case page: every user in the staff directory (organisation,
-- role, a home address), every patient with demographics, and a GP registration each.
INSERT INTO staff
SELECT toString(500000000000 + number), concat('Family', toString(number % 5000)), 'Alex',
       concat('ORG', toString(number % ORGS)), ['R8000'], 'Clinician', concat('team-', toString(number % 40)),
       concat(toString(number % 200), ' High Street'), concat('E', toString(number % 20), ' ', toString(number % 9), 'AB'),
       NULL, NULL, '', 'csv_load', 'staff.csv', toUInt64(1), toUInt8(0)
FROM numbers(USERS);
INSERT INTO patients
SELECT toString(9000000000 + number), toString(9000000000 + number), concat('Family', toString(number % 5000)), 'Sam',
       NULL, NULL, concat(toString(number % 200), ' High Street'), concat('E', toString(number % 20), ' ', toString(number % 9), 'CD'),
       concat('ORG', toString(number % ORGS)), 'csv_load', 'pds.csv', toUInt64(1), toUInt8(0)
FROM numbers(PATIENTS);
INSERT INTO care_relationships
SELECT concat('csv:registration:', toString(9000000000 + number)), toString(9000000000 + number), 'registration', '', '',
       concat('ORG', toString(number % ORGS)), toDateTime(START - 86400 * 365), NULL, 'csv_load', 'gp.csv', toUInt64(1), toUInt8(0)
FROM numbers(PATIENTS);
