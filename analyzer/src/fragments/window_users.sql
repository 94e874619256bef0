-- The staff directory ids the accesses stored in the window may name (for IN: a rule reads
-- only their directory rows): each user id as sent, and without an `@<ODS code>` suffix (the
-- form ATNA senders write in UserID; see staff_rows). Distinct first, so a busy window builds
-- its set from its users, not from its accesses.
SELECT arrayJoin([user_id, replaceRegexpOne(user_id, '@[^@]*$', '')]) AS user_id
FROM
(
    SELECT DISTINCT user_id FROM access_arrivals
    WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
)
