-- The newest batch of each collector's chain: what `careaudit verify` prints as chain heads.
-- (Aliases differ from the column names so that argMax reads the column, not the max.)
SELECT collector_id, max(batch_seq) AS head_seq, argMax(chain_sha256, batch_seq) AS head_chain
FROM ingest_batches
GROUP BY collector_id
ORDER BY collector_id
