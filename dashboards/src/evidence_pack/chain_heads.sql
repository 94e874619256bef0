-- The newest batch of each collector's chain: what `careaudit verify` prints as chain heads.
SELECT collector_id, max(batch_seq) AS batch_seq, argMax(chain_sha256, batch_seq) AS chain_sha256
FROM ingest_batches
GROUP BY collector_id
ORDER BY collector_id
