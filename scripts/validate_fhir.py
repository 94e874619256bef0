#!/usr/bin/env python3
"""Validates every FHIR resource of a simulator output directory with fhir.resources (R4B
models, the R4 structures careaudit's feeds use): audit-events.ndjson and every
fhir/<Type>.ndjson and late/fhir/<Type>.ndjson. Prints one line per resource type with the
number validated; exits 1 naming the first problems when any resource is invalid.

Usage: validate_fhir.py DIRECTORY
"""
import json
import pathlib
import sys

from fhir.resources.R4B import get_fhir_model_class


def main() -> int:
    root = pathlib.Path(sys.argv[1])
    files = [root / "audit-events.ndjson"]
    files += sorted((root / "fhir").glob("*.ndjson")) + sorted((root / "late" / "fhir").glob("*.ndjson"))
    counts, problems = {}, []
    for path in files:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                resource = json.loads(line)
                kind = resource.get("resourceType", "?")
                try:
                    get_fhir_model_class(kind).model_validate(resource)
                except Exception as error:  # every validation problem is reported, not raised
                    problems.append(f"{path.relative_to(root)}:{number} {kind}: {error}")
                counts[kind] = counts.get(kind, 0) + 1
    for kind in sorted(counts):
        print(f"{kind}: {counts[kind]} validated")
    if problems:
        print(f"{len(problems)} invalid resources; the first:")
        for problem in problems[:10]:
            print(problem)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
