-- The accesses stored in the window whose latest explanation explains nothing, by users of
-- organisations whose accesses the care context mostly explains. Where more than a quarter of an
-- organisation's accesses are unexplained (GP practices and hospitals: a few percent), the feeds
-- carry no care context for much of the service it runs (an NHS 111 or out-of-hours service, an
-- ambulance service, a community pharmacy without referrals): an
-- unexplained access is its norm, not evidence, and the weak rules built on "unexplained" would
-- raise a case about every member of its staff. An organisation is judged on 200 accesses at
-- least (before that, and in a small region, nothing is skipped). Its accesses are still
-- explained (or not) and stored, and every rule that does not rest on "unexplained" alone
-- still runs on them.
SELECT event_id
FROM access_explanations
WHERE patient_id IN ({@window_patients})
  AND event_id IN ({@window_events})
  AND user_org NOT IN
      (
          SELECT user_org FROM access_explanations
          GROUP BY user_org
          HAVING count() >= 200 AND avg(explained) < 0.75
      )
GROUP BY event_id
HAVING argMax(explained, version) = 0
