#!/usr/bin/env python3
"""Check ClickHouse migration files against a current ClickHouse engine via chDB.

Usage: chdb_check.py DIR      (run with the venv python: `scripts/services python`)

Runs every DIR/*.sql (sorted by name) inside an in-process chDB session, in a
database `careaudit_chdb_check` selected with USE so unqualified table names
resolve there. Each file runs a second time right after its first, to prove the
migrations are idempotent (IF NOT EXISTS; an `ALTER TABLE t ADD COLUMN c` is
skipped when the column exists, as the migration runner does: ClickHouse 18.16
has no ADD COLUMN IF NOT EXISTS). That is the re-run the runner makes: it skips a
file its ledger holds, so only a migration stopped between its statements runs
again, and before any later one (a later file may change what an earlier one's
backfill writes into, as 0025 adds columns to 0024's table). Exit 0 if everything passed, 1 on the first failure,
2 on usage errors.

Statement splitting: a statement ends at a line whose last non-blank character
is `;`; lines whose first non-blank characters are `--` are comments; empty
statements are ignored.
"""

import contextlib
import os
import sys
import tempfile

DATABASE = "careaudit_chdb_check"


def split_statements(text):
    statements, current = [], []
    for line in text.splitlines():
        if line.lstrip().startswith("--"):
            continue
        stripped = line.rstrip()
        if stripped.endswith(";"):
            current.append(stripped[:-1])
            statements.append("\n".join(current).strip())
            current = []
        else:
            current.append(line)
    statements.append("\n".join(current).strip())
    return [s for s in statements if s]


def scalar(sess, sql):
    return str(sess.query(sql, "TSVRaw")).strip()


def added_column(stmt):
    """(table, column) of an `ALTER TABLE t ADD COLUMN c ...` statement, else None
    (the rule of migrations/src/clickhouse_migrations.rs)."""
    words = stmt.split()[:6]
    if (len(words) == 6 and [w.upper() for w in words[:2]] == ["ALTER", "TABLE"]
            and [w.upper() for w in words[3:5]] == ["ADD", "COLUMN"] and words[5].upper() != "IF"):
        return words[2].strip("`"), words[5].strip("`")
    return None


def run_file(sess, path, statements):
    for stmt in statements:
        added = added_column(stmt)
        if added and scalar(
                sess,
                "SELECT count() FROM system.columns WHERE database = currentDatabase() "
                f"AND table = '{added[0]}' AND name = '{added[1]}'") != "0":
            continue
        try:
            sess.query(stmt)
        except Exception as e:  # chdb raises ChdbError (a RuntimeError) on any failure
            print(f"FAILED {path}", file=sys.stderr)
            print("--- statement:", file=sys.stderr)
            print(stmt, file=sys.stderr)
            print("--- error:", file=sys.stderr)
            print(str(e).strip(), file=sys.stderr)
            return False
    return True


def migration_files(directory):
    return sorted(
        os.path.join(directory, f)
        for f in os.listdir(directory)
        if f.endswith(".sql") and os.path.isfile(os.path.join(directory, f))
    )


@contextlib.contextmanager
def migrated_session(migrations_dir, prefix):
    """A fresh in-process chDB session in DATABASE with every migration of MIGRATIONS_DIR
    applied; yields (session, ClickHouse version), or None after printing the failure."""
    try:
        from chdb import session
    except ImportError as e:
        print(f"{prefix}: cannot import chdb ({e}); run with the venv python "
              "after `scripts/services up` (pip package chdb-core)", file=sys.stderr)
        yield None
        return
    with tempfile.TemporaryDirectory(prefix=f"{prefix}_") as tmp:
        sess = session.Session(tmp)
        try:
            version = scalar(sess, "SELECT version()")
            sess.query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
            sess.query(f"USE {DATABASE}")
            for path in migration_files(migrations_dir):
                with open(path, encoding="utf-8") as f:
                    if not run_file(sess, path, split_statements(f.read())):
                        yield None
                        return
            yield sess, version
        finally:
            sess.close()


def main(argv):
    if len(argv) != 2 or argv[1] in ("-h", "--help"):
        print("usage: chdb_check.py DIR", file=sys.stderr)
        return 2
    directory = argv[1]
    if not os.path.isdir(directory):
        print(f"chdb_check: not a directory: {directory}", file=sys.stderr)
        return 2
    files = migration_files(directory)
    if not files:
        print(f"chdb_check: no *.sql files in {directory}", file=sys.stderr)
        return 1

    try:
        from chdb import session
    except ImportError as e:
        print(f"chdb_check: cannot import chdb ({e}); run with the venv python "
              "after `scripts/services up` (pip package chdb-core)", file=sys.stderr)
        return 1

    parsed = []
    for path in files:
        with open(path, encoding="utf-8") as f:
            parsed.append((path, split_statements(f.read())))

    with tempfile.TemporaryDirectory(prefix="chdb_check_") as tmp:
        sess = session.Session(tmp)
        try:
            version = scalar(sess, "SELECT version()")
            sess.query(f"CREATE DATABASE IF NOT EXISTS {DATABASE}")
            sess.query(f"USE {DATABASE}")
            current = scalar(sess, "SELECT currentDatabase()")
            if current != DATABASE:
                print(f"chdb_check: USE {DATABASE} did not take effect (currentDatabase() = {current!r})",
                      file=sys.stderr)
                return 1

            total = 0
            for path, statements in parsed:
                if not run_file(sess, path, statements):
                    return 1
                if not run_file(sess, path, statements):
                    print("chdb_check: the failure above happened on the SECOND run "
                          "(migration is not idempotent)", file=sys.stderr)
                    return 1
                print(f"ok {path} ({len(statements)} statements, twice)")
                total += len(statements)
            print(f"rerun ok: all {len(parsed)} files ran a second time (idempotent)")
        finally:
            sess.close()

    print(f"chdb: {len(parsed)} files, {total} statements ok on ClickHouse {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
