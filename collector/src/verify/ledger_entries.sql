SELECT entry_id, entry_leaf
FROM ingest_batches FINAL
ARRAY JOIN entry_ids AS entry_id, entry_leaves AS entry_leaf, entry_kinds AS entry_kind
WHERE entry_kind = ?
ORDER BY entry_id, entry_leaf
