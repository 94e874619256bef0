-- Input the collector could not accept, kept with the reason and the raw bytes (compressed) so
-- that nothing a node sent is silently dropped and operators can see what each sender gets wrong.
CREATE TABLE IF NOT EXISTS quarantine
(
    quarantine_id String,
    received_at DateTime('UTC'),
    received_ms UInt16,
    channel String,
    source_node String,
    authenticated_as String,
    client_address String,
    reason_code String,
    reason String,
    raw_format String,
    raw_size UInt32,
    payload_sha256 String,
    raw_payload String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(received_at)
ORDER BY (received_at, quarantine_id);
