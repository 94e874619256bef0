#!/usr/bin/env python3
"""Run the dashboards' ClickHouse queries on a current ClickHouse engine via chDB.

Usage: chdb_queries.py MIGRATIONS_DIR MANIFEST   (run with the venv python)

Applies every MIGRATIONS_DIR/*.sql in an in-process chDB session, then runs each query the
MANIFEST (dashboards/src/clickhouse_queries.json) lists, with its `?` placeholders replaced
in order by the manifest's sample literals (the clickhouse crate binds on the client the same
way). The tables are empty: this proves the SQL parses, types and plans on the ClickHouse
users deploy; the integration tests prove what it returns on 18.16. Exit 0 if every query ran.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chdb_check import migrated_session, run_file  # noqa: E402


def bind(sql, literals):
    parts = sql.split("?")
    if len(parts) - 1 != len(literals):
        raise ValueError(f"{len(parts) - 1} placeholders but {len(literals)} sample values")
    out = [parts[0]]
    for literal, rest in zip(literals, parts[1:]):
        out.append(literal)
        out.append(rest)
    return "".join(out)


def main(argv):
    if len(argv) != 3:
        print("usage: chdb_queries.py MIGRATIONS_DIR MANIFEST", file=sys.stderr)
        return 2
    migrations, manifest_path = argv[1], argv[2]
    with open(manifest_path, encoding="utf-8") as f:
        manifest = json.load(f)["queries"]
    base = os.path.dirname(manifest_path)
    with migrated_session(migrations, "chdb_queries") as migrated:
        if migrated is None:
            return 1
        sess, _ = migrated
        for name, literals in sorted(manifest.items()):
            path = os.path.join(base, name)
            with open(path, encoding="utf-8") as f:
                sql = bind("\n".join(line for line in f.read().splitlines() if not line.lstrip().startswith("--")), literals)
            if not run_file(sess, path, [sql]):
                return 1
            print(f"ok {name}")
    print(f"chdb: {len(manifest)} dashboards queries ok")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
