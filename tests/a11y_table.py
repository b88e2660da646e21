"""docs/ACCESSIBILITY.md's table from the files A11Y_RECORD wrote (tests/test_a11y_journeys.py):

    python -m tests.a11y_table before after   # record files or directories (A11Y_RECORD)

One row per page and role: the violations before and after at each width, as "count: n rule (impact)"."""

import json
import sys
from collections import Counter
from pathlib import Path


def summary(violations: list[dict]) -> str:
    if not violations:
        return "0"
    counts = Counter()
    for v in violations:
        counts[(v["id"], v["impact"])] += len(v["nodes"])
    parts = ", ".join(f"{n} {rule} ({impact})" for (rule, impact), n in sorted(counts.items()))
    return f"{sum(counts.values())}: {parts}"


def rows(path: str) -> dict:
    """Findings by (page, role, width) from a record file, or every file of a record directory."""
    files = sorted(Path(path).glob("*.json")) if Path(path).is_dir() else [Path(path)]
    found = {}
    for file in files:
        data = json.loads(file.read_text())
        found |= {(p["page"], p["role"], p["width"]): p["violations"] for p in data["pages"] if p["width"]}
    return found


def main(before_path: str, after_path: str) -> None:
    before, after = rows(before_path), rows(after_path)
    print("| Page | Role | Before, 1366 px | Before, 390 px | After, 1366 px | After, 390 px |")
    print("|---|---|---|---|---|---|")
    pages = dict.fromkeys((page, role) for page, role, _ in after)
    for page, role in pages:
        cells = [
            summary(before[key]) if (key := (page, role, w)) in before else "not measured"
            for w in (1366, 390)
        ]
        cells += [summary(after.get((page, role, w), [])) for w in (1366, 390)]
        print(f"| {page} | {role} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(*sys.argv[1:3])
