-- Who looked at which patient on which day, ordered by the user's organisation: the case page's
-- peer-group chart (the mean distinct patients per day of up to 200 colleagues of the same
-- organisation and role) reads one organisation's range of this table.
--
-- Why: the peer group is a set of users scattered over the user id space (an organisation's
-- staff are not neighbours in access_by_user's sort order), so reading 200 of them from
-- access_by_user touches a granule of 8,192 rows per peer in every part of the period, which
-- at 100M events is most of the table's rows for those months. Here an organisation's users are
-- contiguous and the day is in the key, so the same chart reads the organisation's rows of the
-- period and nothing else.
--
-- One row per event (no aggregation in the view, so the backfill needs no GROUP BY memory);
-- ReplacingMergeTree collapses repeats of the same user, patient and day on merge, and readers
-- count distinct patients (uniqExact), which repeats do not change. Re-running the backfill is
-- safe for the same reason (see 0020 for why it is not guarded).
CREATE TABLE IF NOT EXISTS access_days_by_org
(
    user_org String,
    day Date,
    user_id String,
    patient_id String
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (user_org, day, user_id, patient_id);

CREATE MATERIALIZED VIEW IF NOT EXISTS access_days_by_org_mv TO access_days_by_org AS
SELECT user_org, toDate(occurred_at) AS day, user_id, patient_id
FROM access_events;

-- Backfill (re-run safe, see above).
INSERT INTO access_days_by_org
SELECT user_org, toDate(occurred_at) AS day, user_id, patient_id
FROM access_events;
