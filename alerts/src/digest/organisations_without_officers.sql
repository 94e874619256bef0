-- Organisations with open cases (owned or shared with them) and no active privacy officer:
-- nobody of their own sees a digest, so the fallback recipient gets it.
SELECT org_code
FROM (
    SELECT c.org_code
    FROM cases c
    WHERE c.state <> 'closed' AND c.merged_into IS NULL
    UNION
    SELECT s.org_code
    FROM case_shares s
    JOIN cases c ON c.id = s.case_id
    WHERE c.state <> 'closed' AND c.merged_into IS NULL
) AS open_organisations
WHERE NOT EXISTS (SELECT 1 FROM privacy_officers p WHERE p.org_code = open_organisations.org_code AND p.active)
ORDER BY org_code
