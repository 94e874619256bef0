-- The newest care-context statement (receive time, ms) of the tables explanations read: when
-- it has not moved since the last check, no open finding can have been explained since.
SELECT greatest(greatest(
    (SELECT max(version) FROM care_relationships),
    (SELECT max(version) FROM patient_links)),
    (SELECT max(version) FROM staff)) AS newest
