-- The care context that makes an access legitimate, and the directories of staff, patients and
-- organisations. Every table is a ReplacingMergeTree versioned by `version` (milliseconds of the
-- update that wrote the row), so an update or a merge resolves to the latest truth; readers use
-- FINAL (or argMax by version) and skip rows with `deleted = 1`.
-- `source_channel` and `source_message_id` say which message created the row (provenance).

-- Patients as the directories and care feeds describe them (demographics: the latest message
-- wins). Flags and merges live in their own tables so that a demographic update from one feed
-- never clears a flag set by another.
CREATE TABLE IF NOT EXISTS patients
(
    patient_id String,
    nhs_number String,
    family_name String,
    given_names String,
    birth_date Nullable(Date),
    death_date Nullable(Date),
    address_line String,
    postcode String,
    gp_practice String,
    source_channel String,
    source_message_id String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY patient_id;

-- Flags on a patient, one row per flag: `vip`, `confidential`, `sharing_objection`.
CREATE TABLE IF NOT EXISTS patient_flags
(
    patient_id String,
    flag String,
    value UInt8,
    reason String,
    source_channel String,
    source_message_id String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (patient_id, flag);

-- Merges (HL7 A40, FHIR Patient.link): `alias_id` is the same person as `canonical_id`, whose
-- record survives. Readers resolve a patient's history through this table.
CREATE TABLE IF NOT EXISTS patient_links
(
    alias_id String,
    canonical_id String,
    source_channel String,
    source_message_id String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY alias_id;

-- Every identifier a patient is known by (NHS number, hospital numbers, ...).
CREATE TABLE IF NOT EXISTS patient_identifiers
(
    id_system String,
    id_value String,
    patient_id String,
    source_channel String,
    source_message_id String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (id_system, id_value);

-- The staff directory (HR extracts): who users are, whom they work for, where they live.
CREATE TABLE IF NOT EXISTS staff
(
    user_id String,
    family_name String,
    given_names String,
    org_code String,
    role_codes Array(String),
    job_title String,
    team String,
    home_address_line String,
    home_postcode String,
    start_date Nullable(Date),
    leave_date Nullable(Date),
    patient_id String,
    source_channel String,
    source_message_id String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY user_id;

-- Organisations (ODS codes), their kind and the integrated care system they belong to.
CREATE TABLE IF NOT EXISTS organisations
(
    org_code String,
    name String,
    org_type String,
    parent_code String,
    region String,
    postcode String,
    source_channel String,
    source_message_id String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
ORDER BY org_code;

-- Care relationships: a patient bound to a user, a team or an organisation over a window, of a
-- kind (registration, encounter, referral, appointment, care_team, next_of_kin, ...). An empty
-- user_id / team / org_code means the relationship does not bind at that level. A NULL
-- valid_to means open-ended.
CREATE TABLE IF NOT EXISTS care_relationships
(
    relationship_id String,
    patient_id String,
    kind String,
    user_id String,
    team String,
    org_code String,
    valid_from DateTime('UTC'),
    valid_to Nullable(DateTime('UTC')),
    source_channel String,
    source_message_id String,
    version UInt64,
    deleted UInt8
)
ENGINE = ReplacingMergeTree(version)
PARTITION BY toYYYYMM(valid_from)
ORDER BY (patient_id, relationship_id);
