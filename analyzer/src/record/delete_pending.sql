-- Pending findings moved into a case (their rows are in insert_findings.sql's).
DELETE FROM pending_findings WHERE id = ANY($1)
