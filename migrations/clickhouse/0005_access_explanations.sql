-- Why each access was (or was not) explained by the care context. Written only by the analyzer
-- (one row per access event and evaluation; the latest evaluation, highest `version`, wins), read
-- by the dashboards (traces, "why was this access not flagged?") and by `careaudit evaluate`.
--
-- `kind` is the relationship kind that explained the access (registration, encounter,
-- episode_of_care, referral, appointment, care_team, clinician) or a derived explanation
-- (e.g. same_team, prior_episode); empty when nothing explained it. `binding` says at which level
-- the relationship bound (user, team, organisation). `relationship_id`, `source_channel` and
-- `source_message_id` name the care fact and the message that stated it, and `valid_from` /
-- `valid_to` the window it was valid over, so the explanation can be shown and checked.
--
-- Ordered like access_events (by patient), so a patient trace reads both with one range.
CREATE TABLE IF NOT EXISTS access_explanations
(
    event_id String,
    occurred_at DateTime('UTC'),
    received_at DateTime('UTC'),
    patient_id String,
    user_id String,
    user_org String,
    explained UInt8,
    kind String,
    binding String,
    relationship_id String,
    source_channel String,
    source_message_id String,
    valid_from DateTime('UTC'),
    valid_to Nullable(DateTime('UTC')),
    evaluated_at DateTime('UTC'),
    version UInt64
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(occurred_at)
ORDER BY (patient_id, occurred_at, event_id);
