-- Names of organisations from the care-context directory.
SELECT org_code, name
FROM organisations FINAL
WHERE has(?, org_code) AND deleted = 0
