-- Every case about the run's users: the open ones a finding may join (locked, as the run may
-- extend them, with their severity and the patients they cover) and the ones the score counts
-- as the user's earlier cases.
SELECT id,
       user_id,
       state <> 'closed' AS open,
       first_event_at,
       last_event_at,
       severity,
       explained_away_at IS NULL AS standing,
       coalesce(disposition IN ('inappropriate_education', 'inappropriate_disciplinary', 'reported_to_ico'), false) AS confirmed,
       CASE WHEN state <> 'closed'
            THEN ARRAY(SELECT patient_id FROM case_patients WHERE case_id = cases.id ORDER BY patient_id)
            ELSE ARRAY[]::text[]
       END AS patients
FROM cases
WHERE user_id = ANY($1)
ORDER BY id
FOR UPDATE
