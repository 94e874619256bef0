-- The integrity ledger: one row per batch the collector shipped to ClickHouse, chained by
-- SHA-256 per collector instance. Each batch lists every entry it carried (kind, id and a leaf
-- hash over the entry's identifying fields and payload digest), so `careaudit verify` can show
-- that the stored audit trail is complete and unaltered: every listed entry is present with the
-- same content, no batch is missing from the chain, and no stored row is unaccounted for.
-- A batch re-shipped after a crash is byte-identical (the shipper records its intent first),
-- so the ReplacingMergeTree collapses the repeat.
CREATE TABLE IF NOT EXISTS ingest_batches
(
    collector_id String,
    batch_seq UInt64,
    first_lsn UInt64,
    last_lsn UInt64,
    shipped_at DateTime('UTC'),
    entry_kinds Array(UInt8),
    entry_ids Array(String),
    entry_leaves Array(String),
    batch_sha256 String,
    prev_chain_sha256 String,
    chain_sha256 String
)
ENGINE = ReplacingMergeTree
ORDER BY (collector_id, batch_seq);
