-- The explanations by arrival carry their evidence too (the binding, the relationship and its
-- source message), so the lookup of a window's findings' explanations reads the window's range
-- of stored time instead of the patient-ordered access_explanations_by_patient.
--
-- Why: after each rule, the analyzer looks up the latest explanation of its candidates (to
-- drop the ones a relationship explains away). By patient, 2,000 candidates of a day window
-- name ~2,000 patients scattered over the whole table: each lookup read ~2.8M rows (the
-- London month: 167 lookups, 468M rows, 48 s). By arrival, a lookup reads the window's own
-- explanations (a day: ~330,000 rows).
--
-- Rows written before this migration have the new columns empty: an explained row without a
-- binding is one of them (every explanation pass writes a binding with an explanation), and
-- the analyzer looks that access up by patient instead. No backfill: it would rewrite every
-- stored explanation, and only the windows evaluated in the first days after the upgrade read
-- such rows.
--
-- The view is dropped first, the columns added, and the view created again with them: stop
-- the analyzer while this migration runs (`careaudit migrate` before starting the new binary;
-- `serve` migrates before it starts anything). An explanation written meanwhile would not be
-- copied, and an earlier row of the same arrival (the first pass's "unexplained", say) would
-- then stand as that arrival's latest explanation here. Dropping the view before the ALTERs
-- keeps inserts into access_explanations from meeting a view that does not name every column
-- of its target. A re-run recreates the view again. The ALTERs are skipped by the migration
-- runner when the column exists (ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS).
DROP TABLE IF EXISTS explanations_by_arrival_mv;

ALTER TABLE explanations_by_arrival ADD COLUMN binding String DEFAULT '';

ALTER TABLE explanations_by_arrival ADD COLUMN relationship_id String DEFAULT '';

ALTER TABLE explanations_by_arrival ADD COLUMN source_channel String DEFAULT '';

ALTER TABLE explanations_by_arrival ADD COLUMN source_message_id String DEFAULT '';

CREATE MATERIALIZED VIEW IF NOT EXISTS explanations_by_arrival_mv TO explanations_by_arrival AS
SELECT stored_at, event_id, occurred_at, received_at, patient_id, user_id, user_org, explained,
       kind, binding, relationship_id, source_channel, source_message_id, evaluated_at, version
FROM access_explanations;
