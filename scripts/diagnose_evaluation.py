#!/usr/bin/env python3
"""Where an evaluation's false cases and near-real-time delays come from (diagnosis only).

Usage: scripts/diagnose_evaluation.py target/evaluation/NAME   (after scripts/evaluate; with the
       servers' environment: eval "$(scripts/services env)")

Reads the run's databases (named in NAME/database, kept by scripts/evaluate) and its truth file
(NAME/feeds/truth.ndjson[.zst]) and prints:

- the false cases (no incident view among their findings' events) by the most common context
  of their views (the simulator's reason for the look: cross_practice_cover, ward_round, ...),
  whether that view's care context arrived late, the case's first rule, and whether the
  analyzer closed the case itself;
- the incidents covered by more than one case, with the cases' first rule, state and the gap
  between them (why an incident costs more than one case);
- for the cases opened by a near-real-time rule, the time from the collector receiving the
  first finding's event to ClickHouse storing it (ingest), from storing to the case opening
  (analysis), and in all, as p50/p90/p99.

The analyzer never reads the truth file; this script is how EVALUATION.md's "where the false
cases come from" paragraphs are worked out.
"""

import collections
import csv
import io
import json
import os
import subprocess
import sys
import urllib.parse
import urllib.request

NEAR_REAL_TIME = {"emergency_access", "vip_patient", "self_access", "leaver_access"}


def truth_lines(path):
    if os.path.exists(path + ".zst"):
        out = subprocess.run(["zstd", "-dc", path + ".zst"], check=True, capture_output=True).stdout
        return out.decode().splitlines()
    with open(path, encoding="utf-8") as f:
        return f.read().splitlines()


def psql(url, sql):
    out = subprocess.run(["psql", url, "-qAt", "--csv", "-c", sql], check=True, capture_output=True, text=True).stdout
    return list(csv.reader(io.StringIO(out)))


def clickhouse(url, database, sql):
    request = urllib.request.Request(
        f"{url}/?database={urllib.parse.quote(database)}", data=sql.encode(), method="POST"
    )
    with urllib.request.urlopen(request) as response:
        return [line.split("\t") for line in response.read().decode().splitlines() if line]


def percentiles(values):
    if not values:
        return "none"
    values = sorted(values)

    def at(p):
        return values[min(len(values) - 1, int(round(p * (len(values) - 1))))]

    return f"p50 {at(0.5):.1f} s, p90 {at(0.9):.1f} s, p99 {at(0.99):.1f} s, max {values[-1]:.1f} s (n={len(values)})"


def main(argv):
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    out = argv[1]
    missing = [name for name in ("CAREAUDIT__POSTGRES__URL", "CAREAUDIT__CLICKHOUSE__URL")
               if not os.environ.get(name)]
    if missing:
        print(f"diagnose_evaluation: {', '.join(missing)} not set: run it with the servers' "
              'environment: eval "$(scripts/services env)"', file=sys.stderr)
        return 2
    database = open(os.path.join(out, "database"), encoding="utf-8").read().strip()
    pg = os.environ["CAREAUDIT__POSTGRES__URL"].rsplit("/", 1)[0] + "/" + database
    ch = os.environ["CAREAUDIT__CLICKHOUSE__URL"].rstrip("/")

    views = {}
    event_view = {}
    incidents = {}
    for line in truth_lines(os.path.join(out, "feeds", "truth.ndjson")):
        record = json.loads(line)
        if record.get("record") == "incident":
            incidents[record["incident"]] = record
        if record.get("record") != "view":
            continue
        views[record["view"]] = record
        for event in record.get("events", []):
            event_view[event] = record["view"]

    rows = psql(
        pg,
        "SELECT c.id, c.state, coalesce(c.disposition, ''), extract(epoch FROM c.opened_at), "
        "f.rule_id, f.event_id, extract(epoch FROM f.created_at), "
        "extract(epoch FROM c.first_event_at), extract(epoch FROM c.last_event_at) "
        "FROM cases c JOIN findings f ON f.case_id = c.id ORDER BY c.id, f.created_at, f.id",
    )
    cases = collections.OrderedDict()
    for case_id, state, disposition, opened, rule, event, _created, first, last in rows:
        case = cases.setdefault(
            case_id,
            {"state": state, "disposition": disposition, "opened": float(opened), "findings": [],
             "first": float(first), "last": float(last)},
        )
        case["findings"].append((rule, event))

    false_by = collections.Counter()
    false_rule = collections.Counter()
    closed_self = 0
    true_cases = 0
    for case in cases.values():
        case_views = [views[event_view[e]] for _, e in case["findings"] if e in event_view]
        if any(v["label"] == "incident" for v in case_views):
            true_cases += 1
            continue
        contexts = collections.Counter(
            (v.get("context", "?"), "late" if v.get("late") else "on time", v["label"]) for v in case_views
        )
        top = contexts.most_common(1)[0][0] if contexts else ("(no view in the truth file)", "", "")
        false_by[top] += 1
        false_rule[case["findings"][0][0]] += 1
        # The analyzer closes a case whose every finding late care context explained, with no
        # disposition (nobody decided it); an officer's "appropriate" is the other way.
        if case["state"] == "closed" and case["disposition"] in ("appropriate", ""):
            closed_self += 1
    false_cases = len(cases) - true_cases
    print(f"cases {len(cases)}, true {true_cases}, false {false_cases} "
          f"(closed: explained away by the analyzer or decided appropriate: {closed_self})\n")
    print("false cases by the most common context of their views (context, care context, label):")
    for (context, late, label), count in false_by.most_common(25):
        print(f"  {count:5d}  {context} ({late}, {label})")
    print("\nfalse cases by their first finding's rule:")
    for rule, count in false_rule.most_common():
        print(f"  {count:5d}  {rule}")

    by_incident = collections.defaultdict(set)
    for case_id, case in cases.items():
        for _, event in case["findings"]:
            view = views.get(event_view.get(event))
            if view and view.get("incident") is not None:
                by_incident[view["incident"]].add(case_id)
    several = {number: ids for number, ids in by_incident.items() if len(ids) > 1}
    print(f"\nincidents caught {len(by_incident)} of {len(incidents)}; covered by more than one case: "
          f"{len(several)} (cases beyond the first: {sum(len(ids) - 1 for ids in several.values())})")
    kinds = collections.Counter(incidents.get(number, {}).get("type", "?") for number in several)
    for kind, count in kinds.most_common():
        print(f"  {count:5d}  {kind}")
    for number, ids in sorted(several.items())[:40]:
        ordered = sorted(ids, key=lambda i: cases[i]["first"])
        parts = []
        previous = None
        for i in ordered:
            case = cases[i]
            gap = "" if previous is None else f" +{(case['first'] - previous) / 3600:.0f}h"
            parts.append(f"#{i} {case['findings'][0][0]} {case['state']}{gap}")
            previous = case["last"]
        print(f"  incident {number} ({incidents.get(number, {}).get('type', '?')}): " + "; ".join(parts))

    nrt = [(case_id, case) for case_id, case in cases.items() if case["findings"][0][0] in NEAR_REAL_TIME]
    if not nrt:
        return 0
    first_events = {case["findings"][0][1]: case for _, case in nrt}
    ids = ",".join("'" + e.replace("'", "''") + "'" for e in first_events)
    received = {
        event: float(at) + float(ms) / 1000
        for event, at, ms in clickhouse(
            ch, database,
            f"SELECT event_id, toUnixTimestamp(min(received_at)), any(received_ms) FROM access_events "
            f"WHERE event_id IN ({ids}) GROUP BY event_id FORMAT TSV",
        )
    }
    stored = {
        event: float(at)
        for event, at in clickhouse(
            ch, database,
            f"SELECT event_id, toUnixTimestamp(min(stored_at)) FROM access_arrivals "
            f"WHERE event_id IN ({ids}) GROUP BY event_id FORMAT TSV",
        )
    }
    ingest, analysis, total = [], [], []
    for event, case in first_events.items():
        if event in received and event in stored:
            ingest.append(stored[event] - received[event])
            analysis.append(case["opened"] - stored[event])
            total.append(case["opened"] - received[event])
    print("\nnear-real-time cases, from their first finding's event (stored_at has whole seconds):")
    print(f"  received -> stored (ingest):   {percentiles(ingest)}")
    print(f"  stored -> case open (analysis): {percentiles(analysis)}")
    print(f"  received -> case open (all):   {percentiles(total)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
