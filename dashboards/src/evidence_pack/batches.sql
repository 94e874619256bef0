-- The ingest batches that list any of these entries. A batch is shipped after its events were
-- received, so batches shipped before the earliest receive time cannot list them. Re-shipped
-- batches are byte-identical; the reader keeps one of each (collector_id, batch_seq).
SELECT collector_id, batch_seq, batch_sha256, prev_chain_sha256, chain_sha256, entry_ids, entry_leaves
FROM ingest_batches
WHERE shipped_at >= toDateTime(?)
  AND hasAny(entry_ids, ?)
ORDER BY collector_id, batch_seq
