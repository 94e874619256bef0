-- A synthetic London month generated inside ClickHouse, for the analyzer benchmark: five
-- integrated care systems, 300 GP practices and 20 acute trusts, {staff} staff, {patients}
-- patients each registered with a practice, {encounters} hospital encounters naming a
-- clinician, and {views} record views of five audit events each (the view and four data
-- reads): 60% by practice staff of their registered patients, 37% by the clinician of an
-- encounter during it, 3% of a random patient by a random user (unexplained, as real audits
-- find for out-of-hours services and the like).
-- It bypasses the collector on purpose (the collector's own throughput is benchmarked in
-- BENCHMARKS.md): the point is the analyzer's queries over a month of realistic shape.
-- example month_start = 1764547200
-- example staff = 100000
-- example patients = 1500000
-- example encounters = 1000000
-- example views = 2000000
-- example period_seconds = 2592000
INSERT INTO organisations (org_code, name, org_type, parent_code, region, postcode, source_channel, source_message_id, version, deleted)
SELECT if(number < 300, concat('G', toString(10000 + number)), concat('R', toString(100 + number))),
       'organisation', if(number < 300, 'gp_practice', 'acute_trust'),
       concat('ICS', toString(if(number < 300, number % 5, intDiv(number - 300, 4)))), '', '', 'bench', 'bench', 1, 0
FROM numbers(320);
INSERT INTO staff (user_id, family_name, given_names, org_code, role_codes, job_title, team, home_address_line, home_postcode, start_date, leave_date, patient_id, source_channel, source_message_id, version, deleted)
SELECT toString(555000000000 + number), concat('F', toString(intHash32(number) % 5000)), 'G',
       if(number % 320 < 300, concat('G', toString(10000 + number % 320)), concat('R', toString(100 + number % 320))),
       [if(number % 3 = 0, 'R8000', 'R8001')], 'role', concat('team', toString(number % 7)),
       concat(toString(intHash32(number) % 200), ' Street ', toString(intHash32(number * 3) % 3000)),
       concat('N', toString(intHash32(number * 5) % 99), ' ', toString(intHash32(number * 11) % 9), 'AA'),
       toDate('2015-01-01'), NULL, if(number % 100 = 0, toString(9000000000 + intHash32(number) % {patients}), ''),
       'bench', 'bench', 1, 0
FROM numbers({staff});
INSERT INTO patients (patient_id, nhs_number, family_name, given_names, birth_date, death_date, address_line, postcode, gp_practice, source_channel, source_message_id, version, deleted)
SELECT toString(9000000000 + number), toString(9000000000 + number), concat('F', toString(intHash32(number * 13) % 5000)), 'P',
       NULL, if(number % 1000 = 0, toDate('2025-01-01'), NULL),
       concat(toString(intHash32(number * 17) % 200), ' Street ', toString(intHash32(number * 19) % 3000)),
       concat('N', toString(intHash32(number * 23) % 99), ' ', toString(intHash32(number * 29) % 9), 'AA'),
       concat('G', toString(10000 + number % 300)), 'bench', 'bench', 1, 0
FROM numbers({patients});
INSERT INTO care_relationships (relationship_id, patient_id, kind, user_id, team, org_code, valid_from, valid_to, source_channel, source_message_id, version, deleted)
SELECT concat('reg:', toString(number)), toString(9000000000 + number), 'registration', '', '',
       concat('G', toString(10000 + number % 300)), toDateTime('2015-01-01 00:00:00'), NULL, 'bench', 'reg', 1, 0
FROM numbers({patients});
INSERT INTO care_relationships (relationship_id, patient_id, kind, user_id, team, org_code, valid_from, valid_to, source_channel, source_message_id, version, deleted)
SELECT concat('enc:', toString(number)), toString(9000000000 + intHash32(number) % {patients}), 'clinician',
       toString(555000000000 + 300 + number % 20 + 320 * (intHash32(number * 7) % intDiv({staff}, 320))), '',
       concat('R', toString(400 + number % 20)),
       toDateTime({month_start} + (number % 30) * 86400 - 2 * 86400),
       toNullable(toDateTime({month_start} + (number % 30) * 86400 + 3 * 86400)), 'bench', 'enc', 1, 0
FROM numbers({encounters});
INSERT INTO access_events (event_id, occurred_at, occurred_ms, received_at, received_ms, action, outcome, event_type, event_subtypes, patient_id, patient_id_system, user_id, user_id_system, user_name, user_org, user_roles, purpose_of_use, emergency_access, emergency_reason, data_entities, client_address, source_node, channel, authenticated_as, raw_format, payload_sha256, raw_payload)
SELECT concat('ev-', toString(number)), occurred, 0, occurred, 0, 'R', 0, 'rest', [if(number % 5 = 0 AND intHash32(v * 61) % 10 < 3, 'search-type', 'read')],
       patient, 'nhs', user, 'sds', '', org, [if(intHash32(v) % 3 = 0, 'R8000', 'R8001')], ['TREAT'],
       toUInt8(intHash32(v * 31) % 5000 = 0), '', if(number % 5 = 0, emptyArrayString(), ['resource|Observation']), '', 'node', 'fhir_http', '', 'json', '', ''
FROM
(
    SELECT number, intDiv(number, 5) AS v, intHash32(v * 3) % 100 AS kind, intHash32(v) % {encounters} AS r,
           toDateTime(if(kind >= 60 AND kind < 97 AND {period_seconds} > 86400,
                         {month_start} + (r % 30) * 86400 + intHash32(v * 59) % 86400,
                         {month_start} + intDiv(v * {period_seconds}, {views})) + number % 5) AS occurred,
           multiIf(kind < 60, toString(9000000000 + intHash32(v * 41) % {patients}),
                   kind < 97, toString(9000000000 + intHash32(r) % {patients}),
                   toString(9000000000 + intHash32(v * 43) % {patients})) AS patient,
           multiIf(kind < 60, toString(555000000000 + (intHash32(v * 41) % {patients}) % 300 + 320 * (intHash32(v * 47) % intDiv({staff}, 320))),
                   kind < 97, toString(555000000000 + 300 + r % 20 + 320 * (intHash32(r * 7) % intDiv({staff}, 320))),
                   toString(555000000000 + intHash32(v * 53) % {staff})) AS user,
           multiIf(kind < 60, concat('G', toString(10000 + (intHash32(v * 41) % {patients}) % 300)),
                   kind < 97, concat('R', toString(400 + r % 20)),
                   if((intHash32(v * 53) % {staff}) % 320 < 300, concat('G', toString(10000 + (intHash32(v * 53) % {staff}) % 320)), concat('R', toString(100 + (intHash32(v * 53) % {staff}) % 320)))) AS org
    FROM numbers({views} * 5)
);
-- Events are stored as they happen: the materialized view stamped every row of the month with
-- this one insert's time, so the analyzer's work queue is rebuilt with each event stored a
-- second after it occurred, the shape a month of live feeds leaves (and what the analyzer's
-- bounded windows of stored time cut into steps). The harness's five-minute increment runs
-- only the statement above, so its events keep the view's stamp (now).
TRUNCATE TABLE access_arrivals;
INSERT INTO access_arrivals (stored_at, event_id, occurred_at, occurred_ms, received_at, action, outcome, event_type, event_subtypes, patient_id, user_id, user_org, user_roles, purpose_of_use, emergency_access, emergency_reason, data_entities)
SELECT occurred_at + 1, event_id, occurred_at, occurred_ms, received_at, action, outcome, event_type, event_subtypes, patient_id, user_id, user_org, user_roles, purpose_of_use, emergency_access, emergency_reason, data_entities
FROM access_events;
