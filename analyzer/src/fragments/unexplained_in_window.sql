-- The accesses stored in the window whose latest explanation (of the window's arrivals) explains
-- nothing, by users of
-- organisations whose accesses the care context mostly explains. Where more than a quarter of an
-- organisation's accesses are unexplained (GP practices and hospitals: a few percent), the feeds
-- carry no care context for much of the service it runs (an NHS 111 or out-of-hours service, an
-- ambulance service, a community pharmacy without referrals): an
-- unexplained access is its norm, not evidence, and the weak rules built on "unexplained" would
-- raise a case about every member of its staff. Those organisations (`skipped_orgs`) are judged
-- once per run, after the explanation, by `job/mostly_unexplained_orgs.sql` over the recent
-- accesses, and bound to every rule that includes this fragment. Their accesses are still
-- explained (or not) and stored, and every rule that does not rest on "unexplained" alone
-- still runs on them. Read from explanations_by_arrival, where a window's explanations are one
-- range of stored time (the patient-ordered access_explanations would be read whole). For
-- `event_id IN`, inside a read of the window's arrivals: that read is what keeps an event to
-- its window (a set of every event id of the window here as well cost ClickHouse 18.16 more
-- than the rest of the fragment).
SELECT event_id
FROM explanations_by_arrival
WHERE stored_at >= toDateTime({window_start}) AND stored_at < toDateTime({window_end})
  AND NOT has(CAST({skipped_orgs} AS Array(String)), user_org)
GROUP BY event_id
HAVING argMax(explained, version) = 0
