-- When care context became visible in ClickHouse: the analyzer's re-explanation of late care
-- context ("which patients' care context arrived since I last looked?") reads this table over
-- a window of stored time, as its windows over access_arrivals do for the audit trail.
--
-- Why: the care tables' `version` is the collector's receive time, and the collector stores
-- what it received in write-ahead-log order per feed, so a statement received earlier can
-- become visible after one received later (two feeds shipping concurrently, a collector
-- shipping its log after an outage). A watermark on `version` then passes statements that are
-- not stored yet, and the accesses they explain are never explained again (seen in the
-- evaluation's replay: a late ServiceRequest received at :48.63 and stored after a later HL7
-- message). `stored_at` is ClickHouse's clock at the insert, set by these views.
--
-- One row per stored statement about a patient (both ids of a merge); staff statements carry no
-- patient and an empty patient_id (they trigger the re-explanation of standing findings only).
-- Rows stored before this migration are not copied: the version watermark has already seen them.
CREATE TABLE IF NOT EXISTS care_arrivals
(
    stored_at DateTime('UTC'),
    patient_id String,
    version UInt64
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(stored_at)
ORDER BY (stored_at, patient_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS care_arrivals_relationships_mv TO care_arrivals AS
SELECT now() AS stored_at, patient_id, version
FROM care_relationships;

CREATE MATERIALIZED VIEW IF NOT EXISTS care_arrivals_links_mv TO care_arrivals AS
SELECT now() AS stored_at, arrayJoin([alias_id, canonical_id]) AS patient_id, version
FROM patient_links;

CREATE MATERIALIZED VIEW IF NOT EXISTS care_arrivals_staff_mv TO care_arrivals AS
SELECT now() AS stored_at, '' AS patient_id, version
FROM staff;
