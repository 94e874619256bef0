#!/usr/bin/env python3
"""Run the analyzer's ClickHouse queries on a current ClickHouse engine via chDB.

Usage: chdb_check_queries.py MIGRATIONS_DIR FRAGMENTS_DIR QUERY_DIR...   (with the venv
python: `scripts/services python`)

Applies every MIGRATIONS_DIR/*.sql (as chdb_check.py does) in a fresh in-process chDB
session, then runs every *.sql under each QUERY_DIR (recursively, sorted) with each `{name}`
placeholder replaced by the value the file declares on a `-- example name = value` line, the
way the analyzer binds it, after each `{@name}` is replaced by FRAGMENTS_DIR/name.sql (shared
subqueries, expanded as the analyzer's sql.rs does). Exit 0 if every query ran, 1 on the first failure (or a placeholder
without an example), 2 on usage errors.
"""

import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from chdb_check import migrated_session, run_file  # noqa: E402

PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
FRAGMENT = re.compile(r"\{@([a-z_]+)\}")
EXAMPLE = re.compile(r"^\s*-- example (\w+) = (.*)$", re.M)


def without_comments(text):
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--"))


def expand(text, fragments):
    for _ in range(4):
        text = FRAGMENT.sub(lambda m: without_comments(fragments[m.group(1)]).strip(), text)
    return text


def with_examples(path, text, fragments):
    examples = dict(EXAMPLE.findall(text))
    try:
        body = expand(without_comments(text), fragments)
    except KeyError as e:
        raise ValueError(f"{path}: no fragment {e}")
    missing = [name for name in PLACEHOLDER.findall(body) if name not in examples]
    if missing:
        raise ValueError(f"{path}: no example for {{{missing[0]}}}")
    return PLACEHOLDER.sub(lambda m: examples[m.group(1)].strip(), body)


def query_files(directories):
    found = []
    for directory in directories:
        for root, _, names in os.walk(directory):
            found += [os.path.join(root, n) for n in names if n.endswith(".sql")]
    return sorted(found)


def main(argv):
    if len(argv) < 4 or argv[1] in ("-h", "--help"):
        print("usage: chdb_check_queries.py MIGRATIONS_DIR FRAGMENTS_DIR QUERY_DIR...",
              file=sys.stderr)
        return 2
    fragments = {}
    for name in os.listdir(argv[2]):
        if name.endswith(".sql"):
            with open(os.path.join(argv[2], name), encoding="utf-8") as f:
                fragments[name[:-4]] = f.read()
    queries = query_files(argv[3:])
    if not queries:
        print("chdb_check_queries: no *.sql files found", file=sys.stderr)
        return 1
    with migrated_session(argv[1], "chdb_check_queries") as migrated:
        if migrated is None:
            return 1
        sess, version = migrated
        for path in queries:
            with open(path, encoding="utf-8") as f:
                try:
                    text = with_examples(path, f.read(), fragments)
                except ValueError as e:
                    print(f"chdb_check_queries: {e}", file=sys.stderr)
                    return 1
            if not run_file(sess, path, [text]):
                return 1
            print(f"ok {path}")
    print(f"chdb queries: {len(queries)} files ok on ClickHouse {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
