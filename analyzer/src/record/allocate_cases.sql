-- Ids and references for the cases a run opens (each row takes the next of both).
SELECT nextval(pg_get_serial_sequence('cases', 'id')) AS id,
       'CA-' || lpad(nextval('case_reference_seq')::text, 6, '0') AS reference
FROM generate_series(1, $1)
