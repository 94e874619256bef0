-- The explanations again, ordered by when their access was stored: what an analyzer window
-- (a range of stored time) reads to find which of its accesses the explanation left unexplained.
--
-- Why: access_explanations is ordered by patient, and a window names its accesses by stored
-- time. "The latest explanation of this window's accesses" was asked as `patient_id IN (the
-- window's patients)`; a day's ~300,000 patients of 1.5M touch every granule of the
-- patient-ordered table, so each such read was a read of all stored explanations (10M rows at
-- the London month's end), and a day window asked it about fifteen times (each explanation pass
-- and every rule built on "unexplained"). A five-minute window's few hundred patients still
-- read a few hundred granules of 8,192 rows. Here a window's explanations are one contiguous
-- range of the sort order.
--
-- `stored_at` is the access's arrival (access_arrivals.stored_at, ClickHouse's clock at the
-- insert), written by the explanation passes, which read it from access_arrivals (a row per
-- arrival: a re-sent batch stores an event twice). Rows written before this migration have no
-- stored arrival: they default to `received_at` (the collector's receipt, normally within a
-- second of the insert). The backfill copies each of them once per arrival of its access
-- stored in the last 31 days, with that arrival, so that the windows evaluated after the
-- upgrade (the rules' overlap, a lagging rule, late care context up to 30 days back) find
-- their explanations even when the collector's write-ahead log held the events for hours.
-- Older rows are copied at `received_at`: a window further back (a rule first enabled after
-- the upgrade, catching up over all stored time) misses the rare access whose receipt and
-- arrival fell either side of its boundary. The 31 days bound the backfill's memory: the
-- join holds the arrivals' event ids (about 10M at the London month's size, ~1 GiB).
-- Stop the analyzer while this migration runs (`careaudit migrate` before starting the new
-- binary): an analyzer of the previous release writes explanations without `stored_at`.
--
-- ReplacingMergeTree(version) keeps the latest explanation of each arrival on merge; readers
-- still take argMax(..., version) per event. Filled like access_explanations_by_patient: a
-- materialized view created before the backfill, so an insert that lands while the migration
-- runs may be copied twice, which the engine and the readers collapse.
--
-- The ALTER is skipped by the migration runner when the column exists (a re-run after a stop
-- between this file's statements: ClickHouse 18.16 has no ADD COLUMN IF NOT EXISTS).
ALTER TABLE access_explanations ADD COLUMN stored_at DateTime('UTC') DEFAULT received_at;

CREATE TABLE IF NOT EXISTS explanations_by_arrival
(
    stored_at DateTime('UTC'),
    event_id String,
    occurred_at DateTime('UTC'),
    received_at DateTime('UTC'),
    patient_id String,
    user_id String,
    user_org String,
    explained UInt8,
    kind String,
    evaluated_at DateTime('UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(stored_at)
ORDER BY (stored_at, event_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS explanations_by_arrival_mv TO explanations_by_arrival AS
SELECT stored_at, event_id, occurred_at, received_at, patient_id, user_id, user_org, explained,
       kind, evaluated_at, version
FROM access_explanations;

-- Backfill (re-run safe, see above).
INSERT INTO explanations_by_arrival
SELECT if(toUInt32(a_stored) > 0, a_stored, received_at) AS stored_at, event_id, occurred_at,
       received_at, patient_id, user_id, user_org, explained, kind, evaluated_at, version
FROM access_explanations
ALL LEFT JOIN
(
    SELECT event_id, stored_at AS a_stored
    FROM access_arrivals
    WHERE stored_at >= now() - 2678400
    LIMIT 1 BY event_id, stored_at
) AS arrivals_1 USING event_id;
